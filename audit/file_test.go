package audit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"shuyu"
)

func TestCheckpointFile_R28_1_RoundTripKeepsSignatures(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t)
	evs := makeEvents(30)
	cps := checkpointsEvery(t, s, evs, 10)
	path := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	for i := range cps {
		if err := AppendCheckpointFile(path, &cps[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadCheckpointFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(cps) {
		t.Fatalf("read %d checkpoints, wrote %d", len(got), len(cps))
	}
	for i := range got {
		if got[i].Seq != cps[i].Seq {
			t.Errorf("line %d: seq %d, want %d", i+1, got[i].Seq, cps[i].Seq)
		}
		if err := VerifyCheckpoint(&got[i], s.PublicKey()); err != nil {
			t.Errorf("line %d: signature lost in the file: %v", i+1, err)
		}
	}
	// The file copy merges with the database copy without conflict.
	if r, err := verifyAll(s.PublicKey(), append(got, cps...), evs); err != nil || r.Checkpoints != 3 {
		t.Fatalf("verify with DB and file copies: %+v, %v", r, err)
	}
}

func TestCheckpointFile_R28_1_MissingFileIsEmpty(t *testing.T) {
	t.Parallel()
	got, err := ReadCheckpointFile(filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || len(got) != 0 {
		t.Fatalf("missing file: %v, %v; want no checkpoints and no error", got, err)
	}
}

func TestCheckpointFile_R28_1_BadLineIsReported(t *testing.T) {
	t.Parallel()
	s := newTestSigner(t)
	evs := makeEvents(4)
	c := signRange(t, s, evs, 0, 4)
	path := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	if err := AppendCheckpointFile(path, &c); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":8,"head":`) // torn write
	f.Close()
	got, err := ReadCheckpointFile(path)
	var e *shuyu.Error
	if !errors.As(err, &e) || e.Code != shuyu.EUNPROCESSABLE {
		t.Fatalf("err %v, want EUNPROCESSABLE", err)
	}
	rows, ok := e.Details.([]shuyu.RowError)
	if !ok || len(rows) != 1 || rows[0].Row != 2 {
		t.Fatalf("details %#v, want one RowError for line 2", e.Details)
	}
	if len(got) != 1 || got[0].Seq != 4 {
		t.Fatalf("good lines %v, want the checkpoint at seq 4", got)
	}
}
