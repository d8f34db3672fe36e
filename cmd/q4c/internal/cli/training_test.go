package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/query4code/query4code/services/orchestrator/dataset"
)

const mitLicense = `MIT License

Copyright (c) 2024 Example Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

const bsd2License = `BSD 2-Clause License

Copyright (c) 2024, Example Authors

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
`

// planted are a secret, a password and an email address in one repository's code.
var planted = []string{"AKIAIOSFODNN7EXAMPLE", "hunter2hunter2", "admin@corp-example.com"}

// fixtureFunctions writes functions of their own vocabulary for each repository, so no two
// repositories hold near-duplicates.
func fixtureFunctions(words [4]string) string {
	verb, noun, attr, other := words[0], words[1], words[2], words[3]
	return fmt.Sprintf(`def %[1]s_%[2]s(%[2]s_list, limit=10):
    """%[1]s the %[2]s entries whose %[3]s passes the limit."""
    selected = []
    for entry in %[2]s_list:
        if entry.%[3]s > limit:
            selected.append(entry.%[4]s)
    return sorted(selected)


def describe_%[2]s_%[4]s(record):
    """Describe the %[4]s of one %[2]s record as a line of text."""
    parts = [str(record.%[4]s), record.%[3]s.title()]
    if record.%[3]s:
        parts.append("%[1]s")
    return " / ".join(parts)
`, verb, noun, attr, other)
}

// TestLicencesSplitsAndRedaction annotates eight repositories (two each under MIT, BSD-2-Clause,
// GPL-2.0 and GPL-3.0) with --licenses MIT,BSD-2-Clause and --splits 0.34,0.33,0.33.
func TestLicencesSplitsAndRedaction(t *testing.T) {
	gpl2, err2 := os.ReadFile("/usr/share/common-licenses/GPL-2")
	gpl3, err3 := os.ReadFile("/usr/share/common-licenses/GPL-3")
	if err2 != nil || err3 != nil {
		t.Skip("no GPL texts on this machine:", err2, err3)
	}
	work := t.TempDir()
	repos := []struct {
		name, licenseFile, text, want string
		words                         [4]string
	}{
		{"alpha", "LICENSE", mitLicense, "MIT", [4]string{"filter", "invoice", "amount", "customer"}},
		{"bravo", "LICENSE.txt", mitLicense, "MIT", [4]string{"rank", "player", "score", "nickname"}},
		{"charlie", "LICENSE", bsd2License, "BSD-2-Clause", [4]string{"collect", "sensor", "voltage", "location"}},
		{"delta", "COPYING", bsd2License, "BSD-2-Clause", [4]string{"pick", "ticket", "priority", "assignee"}},
		{"echo", "COPYING", string(gpl2), "GPL-2.0", [4]string{"gather", "parcel", "weight", "destination"}},
		{"foxtrot", "LICENSE", string(gpl2), "GPL-2.0", [4]string{"choose", "flight", "duration", "carrier"}},
		{"golf", "COPYING", string(gpl3), "GPL-3.0", [4]string{"keep", "recipe", "calories", "cuisine"}},
		{"hotel", "LICENSE", string(gpl3), "GPL-3.0", [4]string{"select", "planet", "radius", "moon"}},
	}
	var sources []string
	wantLicense := map[string]string{}
	for i, r := range repos {
		dir := filepath.Join(work, r.name)
		code := fixtureFunctions(r.words)
		if i == 0 {
			code += `

def connect_storage(bucket_name):
    """Open the bucket; mail admin@corp-example.com when it fails."""
    access_key = "AKIAIOSFODNN7EXAMPLE"
    password = "hunter2hunter2"
    return StorageClient(access_key, password=password, contact="admin@corp-example.com").open(bucket_name)
`
		}
		writeFile(t, dir, r.licenseFile, r.text)
		writeFile(t, dir, "pkg/"+r.name+".py", code)
		sources = append(sources, dir)
		wantLicense[r.name] = r.want
	}
	out := filepath.Join(work, "out")
	args := append([]string{"annotate", "--state-dir", filepath.Join(work, "state"), "--out", out, "--llm", "offline",
		"--python-path", t.TempDir(), "--licenses", "MIT,BSD-2-Clause", "--splits", "0.34,0.33,0.33"}, sources...)
	mustQ4C(t, args...)

	d, err := dataset.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Manifest.Sources {
		if base := filepath.Base(s.Repo); s.License != wantLicense[base] {
			t.Errorf("source %s: licence %s, want %s", s.Repo, s.License, wantLicense[base])
		}
	}
	splitOf := map[string]string{}
	for _, r := range d.Records {
		l := wantLicense[filepath.Base(r.GetRepo())]
		if r.GetLicense() != l || (l != "MIT" && l != "BSD-2-Clause") {
			t.Errorf("record %s: licence %q, want MIT or BSD-2-Clause as its source's (%s)", r.GetId(), r.GetLicense(), l)
		}
		if r.GetSplit() == "" {
			t.Errorf("record %s has no split", r.GetId())
		}
		if prev, ok := splitOf[r.GetRepo()]; ok && prev != r.GetSplit() {
			t.Errorf("repository %s is in %s and %s", r.GetRepo(), prev, r.GetSplit())
		}
		splitOf[r.GetRepo()] = r.GetSplit()
	}
	if len(splitOf) != 4 {
		t.Errorf("records of %d repositories, want the 4 MIT and BSD-2-Clause ones: %v", len(splitOf), splitOf)
	}
	used := map[string]bool{}
	for _, s := range splitOf {
		used[s] = true
	}
	if len(used) < 2 {
		t.Errorf("one split used for every repository: %v", splitOf)
	}
	licenceExcluded := 0
	for _, x := range d.Excluded {
		if x.Reason == dataset.ReasonLicense {
			licenceExcluded++
			if l := wantLicense[filepath.Base(x.Repo)]; l != "GPL-2.0" && l != "GPL-3.0" {
				t.Errorf("%s left out for its licence %s", x.ID, l)
			}
		}
	}
	if licenceExcluded != 8 {
		t.Errorf("%d functions left out for their licence, want the GPL repositories' 8", licenceExcluded)
	}
	// No planted secret or address in any output file, the Parquet files included.
	err = filepath.WalkDir(out, func(path string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		data := readFile(t, path)
		for _, p := range planted {
			if strings.Contains(string(data), p) {
				t.Errorf("%s holds %s", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The card's front matter names a data file per split, each holding that split's kept pairs.
	card := string(readFile(t, filepath.Join(out, dataset.CardFile)))
	keptBySplit := map[string]int{}
	for _, r := range d.Records {
		if r.GetKept() {
			keptBySplit[r.GetSplit()]++
		}
	}
	for _, s := range []string{"train", "validation", "test"} {
		path := dataset.ShardPath(s, 0, 1)
		if !strings.Contains(card, "  - split: "+s+"\n    path:\n    - "+path+"\n") {
			t.Errorf("front matter does not name %s for %s:\n%s", path, s, card)
		}
		if n := parquetRows(t, filepath.Join(out, path)); n != keptBySplit[s] {
			t.Errorf("%s holds %d rows, want the %d kept pairs of %s", path, n, keptBySplit[s], s)
		}
	}
	var man map[string]any
	if err := json.Unmarshal(readFile(t, filepath.Join(out, dataset.ManifestFile)), &man); err != nil {
		t.Fatal(err)
	}
	if tr, _ := man["training"].(map[string]any); tr["splits"] != "0.34,0.33,0.33" {
		t.Errorf("manifest training %v", man["training"])
	}
}

// parquetRows counts the rows of a Parquet file from its footer.
func parquetRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return int(pf.NumRows())
}
