package vault

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func encOpts(key []byte) Options {
	return Options{Now: func() time.Time { return fixedNow }, MemoryLimit: "512MB", Threads: 2, EncryptionKey: key}
}

// filesContain reports whether any file under dir holds s in clear.
func filesContain(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(s)) {
				hits = append(hits, p)
			}
		}
		return nil
	})
	return hits
}

// The insider with file access (R4.2, 等保 encryption at rest): neither a
// byte search of the domain directory nor DuckDB without the key finds a
// citizen ID number; with the key everything is there, and a clear file of
// an earlier release is migrated at Open.
func TestEncrypted_R4_2_InsiderWithFilesFindsNoIDNumber(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := bytes.Repeat([]byte{0x5a}, 32)
	// An earlier release's clear domain, with a supplied table.
	clear, err := Open(dir, encOpts(nil))
	if err != nil {
		t.Fatal(err)
	}
	body := goodCSV()
	id := strings.Split(strings.Split(body, "\n")[1], ",")[1]
	if _, _, err := load(t, clear, peopleSpec(), body, FileCSV); err != nil {
		t.Fatal(err)
	}
	clear.Close()
	if len(filesContain(t, dir, id)) == 0 {
		t.Fatal("precondition: the clear domain should hold the ID number")
	}

	d, err := Open(dir, encOpts(key))
	if err != nil {
		t.Fatal(err)
	}
	if !d.Encrypted() || !d.Migrated() || d.Crypto() == "" {
		t.Fatalf("encrypted=%v migrated=%v crypto=%q", d.Encrypted(), d.Migrated(), d.Crypto())
	}
	// The migrated data is there, and new loads go into the encrypted file.
	if vs, err := d.Versions(context.Background(), "people"); err != nil || len(vs) != 1 {
		t.Fatalf("versions after migration: %v %v", vs, err)
	}
	if _, _, err := d.Load(context.Background(), peopleSpec(), strings.NewReader(body), FileCSV, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	_, rows, _, err := d.Preview(context.Background(), "people", 0, 10)
	if err != nil || len(rows) == 0 {
		t.Fatalf("preview: %v %v", rows, err)
	}
	snap, err := d.Snapshot(context.Background(), "copy.duckdb", key)
	if err != nil {
		t.Fatal(err)
	}
	if hits := filesContain(t, dir, id); len(hits) > 0 {
		t.Errorf("ID number in clear in %v (domain open)", hits)
	}
	d.Close()
	if hits := filesContain(t, dir, id); len(hits) > 0 {
		t.Errorf("ID number in clear in %v", hits)
	}
	// DuckDB itself, without the key, opens neither the domain nor the copy.
	for _, f := range []string{filepath.Join(dir, dbFile), snap} {
		db, err := sql.Open("duckdb", f+"?access_mode=read_only")
		if err == nil {
			var n int
			err = db.QueryRow("SELECT count(*) FROM duckdb_tables()").Scan(&n)
			db.Close()
		}
		if err == nil {
			t.Errorf("%s opened without the key", f)
		}
	}
	// A wrong key is refused with a message that holds no key.
	if _, err := Open(dir, encOpts(bytes.Repeat([]byte{1}, 32))); err == nil || strings.Contains(err.Error(), "WloaWlo") {
		t.Errorf("wrong key: %v", err)
	}
	d, err = Open(dir, encOpts(key))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if vs, _ := d.Versions(context.Background(), "people"); len(vs) != 2 {
		t.Errorf("versions after reopening: %d", len(vs))
	}
}

// A byte copy taken while loads keep committing opens under the same data
// key with every version committed before the copy began.
func TestCopyFile_R28_1_ConsistentWhileLoading(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0x33}, 32)
	d, err := Open(t.TempDir(), encOpts(key))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if _, _, err := d.Load(ctx, peopleSpec(), strings.NewReader(goodCSV()), FileCSV, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, _, err := d.Load(ctx, peopleSpec(), strings.NewReader(goodCSV()), FileCSV, LoadOptions{}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	dst := t.TempDir()
	if err := d.CopyFile(ctx, filepath.Join(dst, dbFile), key); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-done
	c, err := Open(dst, encOpts(key))
	if err != nil {
		t.Fatalf("copy does not open: %v", err)
	}
	defer c.Close()
	vs, err := c.Versions(ctx, "people")
	if err != nil || len(vs) < 1 {
		t.Fatalf("copy versions %d %v", len(vs), err)
	}
	for i, v := range vs {
		if _, _, _, err := c.Preview(ctx, "people", 0, 1); err != nil || v.N == 0 {
			t.Fatalf("version %d unreadable: %v", i, err)
		}
	}
}

// StreamFile (the backup's copy of the domain without a scratch file)
// hands over exactly the announced bytes of the checkpointed file, which
// open under the domain's data key with every version.
func TestStreamFile_R28_1_CopyOpensUnderDataKey(t *testing.T) {
	t.Parallel()
	key := bytes.Repeat([]byte{0x34}, 32)
	d, err := Open(t.TempDir(), encOpts(key))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	if _, _, err := d.Load(ctx, peopleSpec(), strings.NewReader(goodCSV()), FileCSV, LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	write := func(r io.Reader) error {
		f, err := os.Create(filepath.Join(dst, dbFile))
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(f, r)
		return err
	}
	var announced int64
	if err := d.StreamFile(ctx, func(r io.Reader, size int64) error { announced = size; return write(r) }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dst, dbFile)); err != nil || fi.Size() != announced {
		t.Fatalf("copy size %v, announced %d", err, announced)
	}
	c, err := Open(dst, encOpts(key))
	if err != nil {
		t.Fatalf("streamed copy does not open under the data key: %v", err)
	}
	if vs, err := c.Versions(ctx, "people"); err != nil || len(vs) != 1 {
		t.Fatalf("streamed copy: versions %d %v", len(vs), err)
	}
	c.Close()
}
