package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shuyu"
	"shuyu/keys"
	"shuyu/sqlstore"
	"shuyu/vault"
)

func rotSpec(entry string) vault.Spec {
	return vault.Spec{Entry: entry, Columns: []vault.Column{
		{Name: "id_no", Label: "编号", Type: vault.TypeString, Required: true, Unique: true},
		{Name: "amount", Label: "金额", Type: vault.TypeInteger},
	}}
}

func rotCSV(n, seed int) string {
	var b strings.Builder
	b.WriteString("id_no,amount\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "ID%07d,%d\n", i, (i*7919+seed)%100000)
	}
	return b.String()
}

// rotInstance makes an instance whose domain holds two entries with two
// versions each, closes it, and returns the domain's fingerprint, its
// versions and its data key.
func rotInstance(t *testing.T, rows int) (dir, fp, versions string, key []byte) {
	t.Helper()
	dir = t.TempDir()
	ctx := context.Background()
	m := &Main{Log: discardLog()}
	if err := m.openInstance(ctx, dir, "", ""); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, e := range []string{"tax_records", "permits"} {
		for seed := 1; seed <= 2; seed++ {
			if _, _, err := m.Vault.Load(ctx, rotSpec(e), strings.NewReader(rotCSV(rows, seed)), vault.FileCSV, vault.LoadOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	fp, versions = rotState(t, m)
	key, err := m.DB.Keys().OpenDataKey(filepath.Join(dir, "domain", domainKeyFile), "domain")
	if err != nil {
		t.Fatal(err)
	}
	return dir, fp, versions, key
}

func rotState(t *testing.T, m *Main) (fp, versions string) {
	t.Helper()
	ctx := context.Background()
	fp, err := m.Vault.Fingerprint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, e := range []string{"tax_records", "permits"} {
		v, err := m.Vault.Versions(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range v {
			vs = append(vs, fmt.Sprintf("%s v%d %d rows %x", x.Entry, x.N, x.Rows, x.Checksum))
		}
	}
	if !strings.Contains(fp, "table ") || len(vs) != 4 {
		t.Fatalf("instance not as built: %d versions, fingerprint %q", len(vs), fp)
	}
	return fp, strings.Join(vs, "\n")
}

// opensWith reports whether the domain file opens under key (in a fresh
// DuckDB, as vault.Open does).
func opensWith(t *testing.T, dir string, key []byte) bool {
	t.Helper()
	d, err := vault.Open(filepath.Join(dir, "domain"), vault.Options{EncryptionKey: key})
	if err != nil {
		return false
	}
	d.Close()
	return true
}

// After `shuyu keys rotate --kind data` the old data key no longer opens
// the domain file, the new sealed key does, every table and version is
// intact, the rotation is in the audit trail (without the key) and the
// trail verifies; with a server running the rotation is refused and
// changes nothing (R28.1: keys rotated; 密评 key life cycle).
func TestKeys_R28_1_RotateDataKeyReencryptsDomain(t *testing.T) {
	dir, fp, versions, old := rotInstance(t, 2000)
	ctx := context.Background()
	sealedBefore, _ := os.ReadFile(filepath.Join(dir, "domain", domainKeyFile))

	// A running server holds the domain: refused, nothing changed.
	m, stop := bootPlain(t, dir)
	var so, se bytes.Buffer
	if code := Run(ctx, []string{"keys", "rotate", "--kind", "data", "--data", dir}, &so, &se); code == 0 || !strings.Contains(se.String(), "stop it first") {
		t.Errorf("rotation with a server running: code %d, %s", code, se.String())
	}
	stop()
	_ = m
	if b, _ := os.ReadFile(filepath.Join(dir, "domain", domainKeyFile)); !bytes.Equal(b, sealedBefore) {
		t.Fatal("a refused rotation changed the sealed key")
	}

	so.Reset()
	se.Reset()
	if code := Run(ctx, []string{"keys", "rotate", "--kind", "data", "--data", dir}, &so, &se); code != 0 {
		t.Fatalf("rotate: %s %s", so.String(), se.String())
	}
	t.Log(so.String())
	if opensWith(t, dir, old) {
		t.Fatal("the old data key still opens the domain after rotation")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "domain", domainKeyFile)); bytes.Equal(b, sealedBefore) {
		t.Fatal("the sealed key did not change")
	}
	for _, left := range []string{nextKeyFile, vault.RotatingFile} {
		if exists(filepath.Join(dir, "domain", left)) {
			t.Errorf("%s left behind", left)
		}
	}
	m = &Main{Log: discardLog()}
	if err := m.openInstance(ctx, dir, "", ""); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	fp2, versions2 := rotState(t, m)
	if fp2 != fp || versions2 != versions {
		t.Fatalf("domain changed by the rotation:\n%s\n%s\nvs\n%s\n%s", fp, versions, fp2, versions2)
	}
	nk, _ := m.DB.Keys().OpenDataKey(filepath.Join(dir, "domain", domainKeyFile), "domain")
	evs, err := m.DB.Events(ctx, shuyu.System, sqlstore.EventFilter{Action: string(shuyu.AuditKeyRotate)}, false)
	if err != nil || len(evs) != 1 || !strings.Contains(evs[0].Detail, dataKeyID(nk)) || !strings.Contains(evs[0].Detail, dataKeyID(old)) {
		t.Fatalf("rotation events: %+v %v", evs, err)
	}
	for _, k := range [][]byte{old, nk} {
		if strings.Contains(evs[0].Detail, fmt.Sprintf("%x", k)) {
			t.Fatal("a data key is in the audit trail")
		}
	}
	if ar, err := m.DB.VerifyAudit(ctx, nil, nil); err != nil || !ar.OK {
		t.Fatalf("audit verify after rotation: %v %s", err, ar.Problem)
	}
}

const rotateChildEnv = "SHUYU_ROTATE_CHILD"

// TestRotateChild is the child half of the crash test: it rotates and,
// at the step named in the environment, parks until the parent kills it.
func TestRotateChild(t *testing.T) {
	spec := os.Getenv(rotateChildEnv)
	if spec == "" {
		return // only meaningful as the parent's subprocess
	}
	dir, step, _ := strings.Cut(spec, "|")
	rotateHook = func(s string) {
		fmt.Println("STEP", s)
		if s == step {
			time.Sleep(time.Minute)
		}
	}
	var so, se bytes.Buffer
	code := Run(context.Background(), []string{"keys", "rotate", "--kind", "data", "--data", dir}, &so, &se)
	fmt.Println("DONE", code, se.String())
	os.Exit(3)
}

// A kill -9 at any step of a rotation — during the copy, after it, after
// the next key is written, after the file swap, after the key swap —
// leaves one domain file and one sealed key that opens it, with every
// table and version intact; before the swap the old key still opens it,
// from the swap on it does not; no rotation file is left; a completed
// rotation whose own event was lost is recorded at start-up.
func TestKeys_R28_1_RotateDataKeyKillAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: re-runs the test binary and kills it with SIGKILL at each step")
	}
	steps := []struct {
		step    string
		delay   time.Duration // after the step is reached (mid-copy)
		rotated bool
	}{
		{"copying", 30 * time.Millisecond, false},
		{"copied", 0, false},
		{"next-key-written", 0, false},
		{"file-swapped", 0, true},
		{"recorded", 0, true},
		{"key-swapped", 0, true},
	}
	for _, s := range steps {
		t.Run(s.step, func(t *testing.T) {
			dir, fp, versions, old := rotInstance(t, 50000)
			cmd := exec.Command(os.Args[0], "-test.run=^TestRotateChild$", "-test.v")
			cmd.Env = append(os.Environ(), rotateChildEnv+"="+dir+"|"+s.step)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			reached := false
			var seen []string
			for sc.Scan() {
				seen = append(seen, sc.Text())
				if sc.Text() == "STEP "+s.step {
					reached = true
					break
				}
				if strings.HasPrefix(sc.Text(), "DONE") {
					break
				}
			}
			time.Sleep(s.delay)
			cmd.Process.Kill() // SIGKILL: no deferred cleanup runs
			cmd.Wait()
			if !reached {
				t.Fatalf("child never reached %s: %q", s.step, seen)
			}
			if s.step == "copying" && !exists(filepath.Join(dir, "domain", vault.RotatingFile)) {
				t.Error("killed during the copy, yet no copy had been started")
			}
			if got := opensWith(t, dir, old); got == s.rotated {
				t.Errorf("killed at %s: old key opens the file = %v", s.step, got)
			}
			ctx := context.Background()
			m := &Main{Log: discardLog()}
			if err := m.openInstance(ctx, dir, "", ""); err != nil {
				t.Fatalf("killed at %s: the instance does not open: %v", s.step, err)
			}
			defer m.Close()
			fp2, versions2 := rotState(t, m)
			if fp2 != fp || versions2 != versions {
				t.Fatalf("killed at %s: domain changed", s.step)
			}
			for _, left := range []string{nextKeyFile, vault.RotatingFile, vault.RotatingFile + ".wal"} {
				if exists(filepath.Join(dir, "domain", left)) {
					t.Errorf("killed at %s: %s left behind", s.step, left)
				}
			}
			evs, _ := m.DB.Events(ctx, shuyu.System, sqlstore.EventFilter{Action: string(shuyu.AuditKeyRotate)}, false)
			want := map[string]int{"file-swapped": 1, "recorded": 2, "key-swapped": 1}[s.step]
			if len(evs) != want {
				t.Errorf("killed at %s: %d rotation events, want %d", s.step, len(evs), want)
			}
			// And a rotation after the crash works.
			m.Close()
			var so, se bytes.Buffer
			if code := Run(ctx, []string{"keys", "rotate", "--kind", "data", "--data", dir}, &so, &se); code != 0 {
				t.Fatalf("rotation after the crash: %s", se.String())
			}
		})
	}
}

// A KEK rotation re-seals the domain's data key under the new KEK at once
// (only the 32-byte key is re-sealed; the domain file is untouched) and the
// domain still opens with the same data key.
func TestKeys_R28_1_RotateKEKResealsDataKeyAtOnce(t *testing.T) {
	dir, fp, _, dk := rotInstance(t, 100)
	ctx := context.Background()
	sealedPath := filepath.Join(dir, "domain", domainKeyFile)
	before, _ := os.ReadFile(sealedPath)
	idBefore, _ := keys.SealedKeyID(before)
	var so, se bytes.Buffer
	if code := Run(ctx, []string{"keys", "rotate", "--kind", "kek", "--data", dir}, &so, &se); code != 0 {
		t.Fatalf("rotate kek: %s %s", so.String(), se.String())
	}
	after, _ := os.ReadFile(sealedPath)
	idAfter, _ := keys.SealedKeyID(after)
	ring, _ := keyRing(dir, "")
	cur, err := ring.Current(keys.KEK)
	if err != nil || idAfter != cur.ID || idAfter == idBefore {
		t.Fatalf("sealed under %s before, %s after; current KEK %s (%v)", idBefore, idAfter, cur.ID, err)
	}
	m := &Main{Log: discardLog()}
	if err := m.openInstance(ctx, dir, "", ""); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if fp2, _ := rotState(t, m); fp2 != fp {
		t.Fatal("domain changed by a KEK rotation")
	}
	if got, _ := m.DB.Keys().OpenDataKey(sealedPath, "domain"); !bytes.Equal(got, dk) {
		t.Fatal("the data key changed with the KEK")
	}
}

// `shuyu backup verify` checks an archive without a key: it prints the root
// the audit trail recorded for the backup, and refuses a flipped byte.
func TestBackup_R28_1_VerifyWithoutKey(t *testing.T) {
	dir, _, _, _ := rotInstance(t, 100)
	ctx := context.Background()
	m := &Main{Log: discardLog()}
	if err := m.openInstance(ctx, dir, "", ""); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "a.sbk")
	res, err := m.Backup(ctx, BackupOptions{Out: out})
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	if code := Run(ctx, []string{"backup", "verify", "--in", out}, &so, &se); code != 0 || !strings.Contains(so.String(), res.SM3) {
		t.Fatalf("verify: code %d, %s %s (want %s)", code, so.String(), se.String(), res.SM3)
	}
	raw, _ := os.ReadFile(out)
	raw[len(raw)/2] ^= 0x40
	bad := filepath.Join(t.TempDir(), "bad.sbk")
	os.WriteFile(bad, raw, 0o600)
	so.Reset()
	se.Reset()
	if code := Run(ctx, []string{"backup", "verify", "--in", bad}, &so, &se); code != 1 || !strings.Contains(se.String(), "digest mismatch") {
		t.Fatalf("verify of a damaged archive: code %d, %s", code, se.String())
	}
}
