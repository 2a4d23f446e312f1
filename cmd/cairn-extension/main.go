// Command cairn-extension packs the browser extension in extension/src into zip files
// for Chromium-based browsers and for Firefox, from one source: the Firefox manifest is
// the Chromium one with an event page instead of a service worker and a Gecko id.
//
// Usage: go run ./cmd/cairn-extension [-src extension/src] [-out extension/dist]
// Exit status: 0 success, 1 failure, 2 bad flags.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cairn-lrs/cairn/extension/pack"
)

func main() {
	src := flag.String("src", filepath.Join("extension", "src"), "extension source `DIR` (holds manifest.json)")
	out := flag.String("out", filepath.Join("extension", "dist"), "`DIR` to write the zip files to")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "cairn-extension: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	files, err := pack.Pack(os.DirFS(*src), *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cairn-extension:", err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(f)
	}
}
