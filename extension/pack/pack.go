// Package pack builds the browser extension's distributable zip files for Chromium-based
// browsers and for Firefox from one source directory: the Firefox manifest is the
// Chromium one with background scripts (an event page) instead of a service worker and
// a Gecko id.
package pack

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// GeckoID is the Firefox add-on id (browser_specific_settings.gecko.id).
const GeckoID = "browser-extension@cairn-lrs.github.io"

// Pack writes cairn-chromium-VERSION.zip and cairn-firefox-VERSION.zip for the
// extension in src to out and returns their paths. An error when the manifest is
// missing or not JSON, or a file cannot be read or written.
func Pack(src fs.FS, out string) ([]string, error) {
	raw, err := fs.ReadFile(src, "manifest.json")
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var manifest map[string]any
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	version, _ := manifest["version"].(string)
	if version == "" {
		return nil, errors.New("manifest.json: no version")
	}
	firefox, err := FirefoxManifest(manifest)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, target := range []struct {
		name     string
		manifest []byte
	}{{"chromium", raw}, {"firefox", firefox}} {
		path := filepath.Join(out, fmt.Sprintf("cairn-%s-%s.zip", target.name, version))
		if err := writeZip(src, path, target.manifest); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// FirefoxManifest turns the Chromium manifest into Firefox's: Firefox runs the
// background script as an event page (background.scripts) and needs a Gecko id and the
// data the add-on transmits. An error when the manifest has no background.service_worker.
func FirefoxManifest(m map[string]any) ([]byte, error) {
	ff := make(map[string]any, len(m)+1)
	for k, v := range m {
		ff[k] = v
	}
	bg, _ := m["background"].(map[string]any)
	worker, _ := bg["service_worker"].(string)
	if worker == "" {
		return nil, errors.New("manifest.json: no background.service_worker")
	}
	ff["background"] = map[string]any{"scripts": []string{worker}, "type": "module"}
	ff["browser_specific_settings"] = map[string]any{"gecko": map[string]any{
		"id": GeckoID, "strict_min_version": "128.0",
		// What the add-on sends to Cairn, in Firefox's data-consent terms (asked of new
		// add-ons by addons.mozilla.org, shown at install by Firefox 140 and later): the
		// pages visited, their title and description, reading and viewing activity, and
		// the person's name and email in each statement's actor.
		"data_collection_permissions": map[string]any{"required": []string{
			"browsingActivity", "websiteContent", "websiteActivity", "personallyIdentifyingInfo"}},
	}}
	return json.MarshalIndent(ff, "", "  ")
}

// writeZip writes every file of src, with manifest.json replaced by manifest, to path.
// Entries are sorted and carry a fixed time, so the same source gives the same bytes.
func writeZip(src fs.FS, path string, manifest []byte) error {
	var names []string
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return err
		}
		if name == "manifest.json" {
			_, err = w.Write(manifest)
		} else {
			var f fs.File
			if f, err = src.Open(name); err == nil {
				_, err = io.Copy(w, f)
				f.Close()
			}
		}
		if err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
