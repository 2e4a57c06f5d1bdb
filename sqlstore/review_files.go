package sqlstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/emmansun/gmsm/sm3"

	"shuyu"
)

// Attachments of registrations (licences) and applications: the type is
// sniffed from the bytes (never taken from the client), the size capped,
// and the bytes kept in the database with their SM3 digest, so a backup of
// the store is complete.

func (tx *Tx) files(ownerType string, ownerID int64) ([]shuyu.File, error) {
	rows, err := tx.query(`SELECT id, name, content_type, size, sm3, created_at FROM review_files
		WHERE owner_type = ? AND owner_id = ? ORDER BY id`, ownerType, ownerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shuyu.File
	for rows.Next() {
		var f shuyu.File
		var at int64
		if err := rows.Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.SM3, &at); err != nil {
			return nil, err
		}
		f.CreatedAt = fromMicros(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// reviewSniff checks an upload and returns its sniffed type.
func reviewSniff(name string, data []byte) (string, string, error) {
	if len(data) == 0 {
		return "", "", shuyu.Errorf(shuyu.EINVALID, "附件为空 (empty file)")
	}
	if len(data) > shuyu.MaxFileSize {
		return "", "", shuyu.Errorf(shuyu.ETOOLARGE, "附件不得超过 %d MB (file too large)", shuyu.MaxFileSize>>20)
	}
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !shuyu.AllowedFileTypes[ct] {
		return "", "", shuyu.Errorf(shuyu.EINVALID, "附件须为 PDF、PNG 或 JPEG 文件，实际为 %s (unsupported file type)", ct)
	}
	name = strings.TrimSpace(filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" {
		name = "附件"
	}
	return truncate(name, 100), ct, nil
}

func (tx *Tx) addFile(ownerType string, ownerID int64, name, ct string, data []byte) (*shuyu.File, error) {
	var n int
	if err := tx.queryRow(`SELECT count(*) FROM review_files WHERE owner_type = ? AND owner_id = ?`, ownerType, ownerID).Scan(&n); err != nil {
		return nil, err
	}
	if n >= 20 {
		return nil, shuyu.Errorf(shuyu.ECONFLICT, "附件最多 20 个 (at most 20 files)")
	}
	sum := sm3.Sum(data)
	f := &shuyu.File{Name: name, ContentType: ct, Size: int64(len(data)), SM3: hex.EncodeToString(sum[:]), CreatedAt: tx.now}
	id, err := tx.insert(`INSERT INTO review_files (owner_type, owner_id, name, content_type, size, sm3, data, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ownerType, ownerID, f.Name, f.ContentType, f.Size, f.SM3, data, micros(tx.now))
	if err != nil {
		return nil, err
	}
	f.ID = id
	act := map[string]shuyu.AuditAction{"registration": shuyu.AuditRegistrationAttach, "application": shuyu.AuditApplicationAttach}[ownerType]
	return f, tx.audit(Change{Action: act, ObjectType: ownerType, ObjectID: ownerID,
		Detail: map[string]any{"file_id": id, "name": f.Name, "type": ct, "size": f.Size, "sm3": f.SM3}})
}

// AddRegistrationFile attaches a licence or other material to a pending
// registration; the applicant proves itself with its tracking token.
func (d *DB) AddRegistrationFile(ctx context.Context, id int64, token, name string, data []byte) (*shuyu.File, error) {
	name, ct, err := reviewSniff(name, data)
	if err != nil {
		return nil, err
	}
	var uscc string
	if err := d.view(ctx, func(tx *Tx) error {
		g, err := tx.registrationForToken(id, token)
		if err == nil {
			uscc = g.USCC
		}
		return err
	}); err != nil {
		return nil, err
	}
	var f *shuyu.File
	err = d.update(ctx, reviewApplicant(uscc), func(tx *Tx) error {
		g, err := tx.registration(id)
		if err != nil {
			return err
		}
		if g.Status != shuyu.RegSubmitted && g.Status != shuyu.RegAccepted && g.Status != shuyu.RegMoreMaterial {
			return shuyu.Errorf(shuyu.ECONFLICT, "入驻申请已办结，不能再添加附件 (registration closed)")
		}
		f, err = tx.addFile("registration", id, name, ct, data)
		return err
	})
	return f, err
}

// FileData returns an attachment's bytes if the actor may read its owner
// (registration: the operator side or the registered merchant; application:
// whoever may read the application).
func (d *DB) FileData(ctx context.Context, actor *shuyu.Actor, id int64) (*shuyu.File, []byte, error) {
	var f shuyu.File
	var ownerType string
	var ownerID int64
	var data []byte
	err := d.view(ctx, func(tx *Tx) error {
		var at int64
		err := tx.queryRow(`SELECT id, owner_type, owner_id, name, content_type, size, sm3, data, created_at FROM review_files WHERE id = ?`, id).
			Scan(&f.ID, &ownerType, &ownerID, &f.Name, &f.ContentType, &f.Size, &f.SM3, &data, &at)
		if isNoRows(err) {
			return notFound("附件")
		}
		f.CreatedAt = fromMicros(at)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	switch ownerType {
	case "registration":
		_, err = d.Registration(ctx, actor, ownerID)
	case "application":
		_, err = d.Application(ctx, actor, ownerID)
	default:
		err = fmt.Errorf("sqlstore: file %d: unknown owner %s", id, ownerType)
	}
	if err != nil {
		return nil, nil, err
	}
	return &f, data, nil
}

// AddApplicationFile attaches material to the merchant's own application
// while it is being checked (R20.1 attachments).
func (d *DB) AddApplicationFile(ctx context.Context, actor *shuyu.Actor, id int64, name string, data []byte) (*shuyu.File, error) {
	name, ct, err := reviewSniff(name, data)
	if err != nil {
		return nil, err
	}
	var f *shuyu.File
	err = d.update(ctx, actor, func(tx *Tx) error {
		head, err := tx.appHead(id)
		if err != nil {
			return err
		}
		if err := shuyu.Authorize(actor, shuyu.ActApplicationUpdate, head.resource()); err != nil {
			return err
		}
		if head.status != shuyu.AppChecking {
			return shuyu.Errorf(shuyu.ECONFLICT, "仅在合规核查阶段可补充附件 (attachments only while checking)")
		}
		f, err = tx.addFile("application", id, name, ct, data)
		return err
	})
	return f, err
}
