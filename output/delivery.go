package output

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"shuyu"
	"shuyu/outcheck"
)

// Delivery is one delivered table: the marked rows and their record.
type Delivery struct {
	Record  shuyu.ProductDelivery
	Columns []string
	Rows    [][]string
	CSV     []byte
}

// Deliver hands a released, filed product's table to a recipient (R23.2).
// The copy carries the recipient's fingerprint in its decimals (outcheck.
// Fingerprint) so a leaked copy can be traced (R27.1 去向可查); the
// delivery is recorded before a byte is written. A merchant delivers to one
// of the product's intended recipients; a source department receives the
// results fed back to it (R6.2).
func (o *Service) Deliver(ctx context.Context, a *shuyu.Actor, id int64, table, recipient, channel string) (*Delivery, error) {
	if err := o.domain(); err != nil {
		return nil, err
	}
	p, err := o.db.DeliverableProduct(ctx, a, id)
	if err != nil {
		return nil, err
	}
	recipient = strings.TrimSpace(recipient)
	if a.OrgID == p.OrgID {
		if !slices.Contains(p.Recipients, recipient) {
			return nil, shuyu.Errorf(shuyu.EINVALID, "接收方须为产品登记的预期接收方之一：%s (recipient not registered)",
				strings.Join(p.Recipients, "、")).WithDetails([]shuyu.FieldError{{Field: "recipient", Message: "不是预期接收方"}})
		}
	} else {
		recipient = fmt.Sprintf("成果回馈·机构%d", a.OrgID) // R6.2: the department itself
	}
	var pt *shuyu.ProductTable
	for i := range p.Tables {
		if p.Tables[i].Name == table || table == "" && i == 0 {
			pt = &p.Tables[i]
		}
	}
	if pt == nil {
		return nil, shuyu.Errorf(shuyu.ENOTFOUND, "产品中没有这个表 (no such table)")
	}
	secret, err := o.db.ProductSecret(ctx, id)
	if err != nil {
		return nil, err
	}
	conn, err := o.vault.Locked(ctx)
	if err != nil {
		return nil, err
	}
	tb, err := outcheck.DuckProductTable(ctx, conn, pt.DuckTable, pt.Name)
	if err == nil {
		tb, err = outcheck.Materialize(tb)
	}
	conn.Close()
	if err != nil {
		return nil, err
	}
	mark := shuyu.DeliveryMark(a.OrgID, recipient)
	marked, ferr := outcheck.Fingerprint(tb, mark, secret)
	fingerprinted := ferr == nil
	if ferr != nil {
		if shuyu.ErrorCode(ferr) != shuyu.EUNPROCESSABLE {
			return nil, ferr
		}
		marked = tb // no decimal column: the delivery record alone traces it
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // Excel opens UTF-8 CSV correctly with a BOM
	cw := csv.NewWriter(&buf)
	cw.Write(marked.Columns)
	cw.WriteAll(marked.Rows)
	if err := cw.Error(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(buf.Bytes())
	d := &Delivery{Columns: marked.Columns, Rows: marked.Rows, CSV: buf.Bytes(), Record: shuyu.ProductDelivery{
		Recipient: recipient, Mark: mark, Fingerprint: fingerprinted, Channel: channel, Table: pt.Name,
		Rows: int64(len(marked.Rows)), SHA256: hex.EncodeToString(sum[:])}}
	if err := o.db.RecordDelivery(ctx, a, id, &d.Record); err != nil {
		return nil, err
	}
	return d, nil
}

// Attribution answers who a leaked copy was delivered to.
type Attribution struct {
	outcheck.Attribution
	Deliveries []shuyu.ProductDelivery `json:"deliveries"` // the deliveries to the named recipient
}

// MaxLeakBytes caps an uploaded leaked copy.
const MaxLeakBytes = 20 << 20

// Attribute reads a leaked CSV copy of one of the product's tables and
// names the recipient whose fingerprint it carries (R27.1 责任可究). The
// question and its answer are audited.
func (o *Service) Attribute(ctx context.Context, a *shuyu.Actor, id int64, data []byte) (*Attribution, error) {
	if _, err := o.db.ProductFor(ctx, a, shuyu.ActProductAttribute, id); err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "请上传含表头和数据行的 CSV 文件 (a CSV with a header and rows)").
			WithDetails([]shuyu.FieldError{{Field: "file", Message: "不是有效的 CSV"}})
	}
	dls, err := o.db.DeliveryMarks(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out := &Attribution{Deliveries: []shuyu.ProductDelivery{}}
	if len(dls) > 0 {
		marks := make([]string, len(dls))
		for i, dl := range dls {
			marks[i] = dl.Mark
		}
		secret, err := o.db.ProductSecret(ctx, id)
		if err != nil {
			return nil, err
		}
		out.Attribution, err = outcheck.Attribute(outcheck.Table{Name: "leaked", Columns: recs[0], Rows: recs[1:]}, marks, secret)
		if err != nil {
			return nil, err
		}
		if out.Recipient != "" {
			all, err := o.db.ProductDeliveries(ctx, a, id)
			if err != nil {
				return nil, err
			}
			for _, dl := range all {
				if dl.Mark == out.Recipient {
					out.Deliveries = append(out.Deliveries, dl)
				}
			}
		}
	}
	err = o.db.RecordAttribution(ctx, a, id, map[string]any{"rows": len(recs) - 1, "bits": out.Bits, "matches": out.Matches,
		"recipient": out.Recipient, "confidence": out.Confidence})
	return out, err
}
