package pack

import (
	"archive/zip"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func TestPack(t *testing.T) {
	src := fstest.MapFS{
		"manifest.json": {Data: []byte(`{"manifest_version":3,"name":"Cairn","version":"1.2.3","background":{"service_worker":"background.js","type":"module"}}`)},
		"background.js": {Data: []byte("// bg")},
		"lib/queue.js":  {Data: []byte("// queue")},
		".DS_Store":     {Data: []byte("x")},
	}
	out := t.TempDir()
	files, err := Pack(src, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(out, "cairn-chromium-1.2.3.zip"), filepath.Join(out, "cairn-firefox-1.2.3.zip")}
	if !slices.Equal(files, want) {
		t.Fatalf("files %v, want %v", files, want)
	}
	for _, tt := range []struct {
		file       string
		background map[string]any
		gecko      bool
	}{
		{want[0], map[string]any{"service_worker": "background.js", "type": "module"}, false},
		{want[1], map[string]any{"scripts": []any{"background.js"}, "type": "module"}, true},
	} {
		zr, err := zip.OpenReader(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		var manifest map[string]any
		for _, f := range zr.File {
			names = append(names, f.Name)
			if f.Name == "manifest.json" {
				rc, _ := f.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				if err := json.Unmarshal(b, &manifest); err != nil {
					t.Fatal(err)
				}
			}
		}
		zr.Close()
		if !slices.Equal(names, []string{"background.js", "lib/queue.js", "manifest.json"}) {
			t.Errorf("%s: entries %v", tt.file, names)
		}
		bg, _ := json.Marshal(manifest["background"])
		wantBG, _ := json.Marshal(tt.background)
		if string(bg) != string(wantBG) {
			t.Errorf("%s: background %s, want %s", tt.file, bg, wantBG)
		}
		bss, ok := manifest["browser_specific_settings"].(map[string]any)
		if ok != tt.gecko {
			t.Errorf("%s: browser_specific_settings present %v, want %v", tt.file, ok, tt.gecko)
		}
		if tt.gecko {
			gecko, _ := bss["gecko"].(map[string]any)
			required, _ := json.Marshal(gecko["data_collection_permissions"])
			if gecko["id"] != GeckoID || !strings.Contains(string(required), `"required":["browsingActivity",`) {
				t.Errorf("%s: gecko settings %v", tt.file, gecko)
			}
		}
	}
}

func TestPackRefusesABadManifest(t *testing.T) {
	for name, m := range map[string]string{
		"not JSON":      `{`,
		"no version":    `{"background":{"service_worker":"b.js"}}`,
		"no background": `{"version":"1"}`,
	} {
		if _, err := Pack(fstest.MapFS{"manifest.json": {Data: []byte(m)}}, t.TempDir()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
