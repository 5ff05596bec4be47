package listsync

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Copy is what the list cache holds for one url: source.
type Copy struct {
	File   string
	Exists bool
	// Checked is the last successful download or 304 answer; for a copy
	// without a record (made before records were kept), its file's time.
	Checked time.Time
	// Entries in the copy when it was downloaded (0 when not recorded).
	Entries int

	meta     copyMeta
	recorded bool
}

// copyMeta is the record kept beside a copy (NAME.meta beside NAME.list):
// what the server said about it and when it was last checked. It is
// never watched: a 304 rewrites it without reloading the policy.
type copyMeta struct {
	URL          string    `json:"url"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Checked      time.Time `json:"checked"`
	Entries      int       `json:"entries"`
}

func metaPath(file string) string { return strings.TrimSuffix(file, ".list") + ".meta" }

// ReadCopy reports the cached copy at file and its record.
func ReadCopy(file string) Copy {
	c := Copy{File: file}
	fi, err := os.Stat(file)
	if err != nil || fi.IsDir() {
		return c
	}
	c.Exists, c.Checked = true, fi.ModTime()
	b, err := os.ReadFile(metaPath(file))
	if err != nil {
		return c
	}
	var m copyMeta
	if json.Unmarshal(b, &m) != nil || m.Checked.IsZero() {
		return c // a damaged record: the file's time is the safer age
	}
	c.meta, c.recorded = m, true
	c.Checked, c.Entries = m.Checked, m.Entries
	return c
}

func writeMeta(file string, m copyMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeAtomic(metaPath(file), append(b, '\n'))
}

// writeAtomic replaces dest with data: a reader sees the old file or the
// new one whole, never a part. The file is the owner's alone (0600): an
// illegal-content list is confidential.
func writeAtomic(dest string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".download-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}
