package vault

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

const crashEnv = "VAULT_CRASH_CHILD_DIR"

// TestCrashChild is the child half of the crash test: it loads a second
// version and parks before the switch until the parent kills it.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		return // only meaningful as the parent's subprocess
	}
	d, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	ids := genIDs(3)
	body := "id_no,name,age,county,income,born,mobile\n" + ids[2] + ",new,1,,,,\n"
	d.Load(context.Background(), peopleSpec(), strings.NewReader(body), FileCSV, LoadOptions{beforeSwitch: func() {
		fmt.Println("BUILT")
		time.Sleep(time.Minute)
	}})
	os.Exit(3)
}

func TestLoad_R10_1_KillDuringLoadKeepsPreviousVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped under -short (re-runs the test binary and kills it with SIGKILL)")
	}
	t.Parallel()
	dir := t.TempDir()
	d, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV); err != nil {
		t.Fatal(err)
	}
	d.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	built := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "BUILT") {
			built = true
			break
		}
	}
	cmd.Process.Kill() // SIGKILL: no deferred cleanup runs
	cmd.Wait()
	if !built {
		t.Fatal("child never reached the switch")
	}
	staged, _ := os.ReadDir(dir + "/staging")
	if len(staged) == 0 {
		t.Log("note: child had already removed its staging file")
	}

	d, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cur, err := d.Current(context.Background(), "people")
	if err != nil || cur.N != 1 || cur.Rows != 4 {
		t.Fatalf("current after crash = %+v, %v", cur, err)
	}
	_, rows, total, err := d.Preview(context.Background(), "people", 0, 10)
	if err != nil || total != 4 || rows[0][1] != "张三" {
		t.Fatalf("previous version damaged: %v %d %v", rows, total, err)
	}
	assertNoOrphans(t, d)
	// The next load reuses nothing of the half version and succeeds.
	v, _, err := load(t, d, peopleSpec(), goodCSV(), FileCSV)
	if err != nil || v.N != 2 {
		t.Fatalf("load after crash: %+v %v", v, err)
	}
}
