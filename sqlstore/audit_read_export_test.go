package sqlstore

import (
	"context"
	"math"
	"path/filepath"

	"shuyu"
	"shuyu/audit"
)

// Exported for the external tests of the fast verification path.

// AuditReadEncodings runs the dialect's fast reader over the whole trail
// and returns each event's canonical encoding, as the reader rebuilt it,
// and its stored hash.
func AuditReadEncodings(ctx context.Context, d *DB) (enc, hash [][]byte, err error) {
	p := &auditPipe{ctx: ctx, free: make(chan *auditPackedBatch), toHash: make(chan *auditPackedBatch, 1<<12)}
	out := make(chan *auditPackedBatch, 1<<12)
	read := auditChunkReader(d.readPostgresRaw)
	if d.dialect == SQLite {
		read = d.readSQLiteRaw
	}
	// Two chunks, the first one short, to cover the chunk boundary.
	err = read(ctx, []auditChunk{{math.MinInt64, 3}, {4, math.MaxInt64}}, p, out)
	close(out)
	for b := range out {
		start := 0
		for i := 0; i+1 < len(b.ends); i += 2 {
			enc = append(enc, b.buf[start:b.ends[i]])
			hash = append(hash, b.buf[b.ends[i]:b.ends[i+1]])
			start = b.ends[i+1]
		}
	}
	return enc, hash, err
}

// AuditVerifyColumns verifies the whole trail the way VerifyAudit did
// before the fast readers: column by column through database/sql.
func AuditVerifyColumns(ctx context.Context, d *DB) (audit.Report, error) {
	cps, err := auditTestCheckpoints(ctx, d)
	if err != nil {
		return audit.Report{}, err
	}
	return d.verifyColumns(ctx, audit.NewVerifier(d.signer.PublicKey(), cps))
}

// AuditVerifyFast runs the fast path alone; a non-nil error means it does
// not vouch for the trail (VerifyAudit would fall back).
func AuditVerifyFast(ctx context.Context, d *DB) (audit.Report, error) {
	cps, err := auditTestCheckpoints(ctx, d)
	if err != nil {
		return audit.Report{}, err
	}
	v := audit.NewVerifier(d.signer.PublicKey(), cps)
	if err := d.verifyPacked(ctx, v); err != nil {
		return audit.Report{}, err
	}
	return v.Finish()
}

// auditTestCheckpoints gathers the checkpoints VerifyAudit would use.
func auditTestCheckpoints(ctx context.Context, d *DB) ([]shuyu.Checkpoint, error) {
	cps, err := d.Checkpoints(ctx)
	if err != nil {
		return nil, err
	}
	fileCPs, err := audit.ReadCheckpointFile(filepath.Join(d.dataDir, CheckpointFile))
	return append(cps, fileCPs...), err
}

// SetAuditChunkSeqs sets the chunk size of the fast path until restore is
// called (tests only; not safe alongside a running verification).
func SetAuditChunkSeqs(n int64) (restore func()) {
	old := auditChunkSeqs
	auditChunkSeqs = n
	return func() { auditChunkSeqs = old }
}
