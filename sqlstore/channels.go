package sqlstore

import (
	"context"
	"strings"
	"unicode/utf8"

	"shuyu"
)

// The register of pre-existing channels (R15.1) in data_channels
// (migration 0014): registered, assessed and decided by the authority.

const channelCols = `id, name, holder, description, assessment, decision, status, created_at, updated_at`

func scanChannel(r interface{ Scan(...any) error }) (*shuyu.Channel, error) {
	var c shuyu.Channel
	var created, updated int64
	if err := r.Scan(&c.ID, &c.Name, &c.Holder, &c.Description, &c.Assessment, &c.Decision, &c.Status, &created, &updated); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

func (tx *Tx) channel(id int64) (*shuyu.Channel, error) {
	c, err := scanChannel(tx.queryRow(`SELECT `+channelCols+` FROM data_channels WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, notFound("数据提供渠道")
	}
	return c, err
}

// RegisterChannel records a pre-existing channel (R15.1).
func (d *DB) RegisterChannel(ctx context.Context, actor *shuyu.Actor, in shuyu.ChannelInput) (*shuyu.Channel, error) {
	if err := shuyu.Authorize(actor, shuyu.ActChannelManage, shuyu.Resource{Kind: "channel"}); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *shuyu.Channel
	err := d.update(ctx, actor, func(tx *Tx) error {
		id, err := tx.insert(`INSERT INTO data_channels (name, holder, description, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, in.Name, in.Holder, in.Description, shuyu.ChannelOpen, actor.UserID, micros(tx.now), micros(tx.now))
		if err != nil {
			return err
		}
		if err := tx.audit(Change{Action: shuyu.AuditChannelRegister, ObjectType: "channel", ObjectID: id,
			Detail: map[string]any{"name": in.Name, "holder": in.Holder, "rule": "R15.1"}}); err != nil {
			return err
		}
		out, err = tx.channel(id)
		return err
	})
	return out, err
}

// AssessChannel records the assessment of a channel (again while no
// decision is taken).
func (d *DB) AssessChannel(ctx context.Context, actor *shuyu.Actor, id int64, assessment string) (*shuyu.Channel, error) {
	assessment = strings.TrimSpace(assessment)
	if n := utf8.RuneCountInString(assessment); n < 10 || n > 4000 {
		return nil, shuyu.Errorf(shuyu.EINVALID, "评估意见应为 10 到 4000 个字 (assessment required)").
			WithDetails([]shuyu.FieldError{{Field: "assessment", Message: "评估意见应为 10 到 4000 个字"}})
	}
	return d.channelStep(ctx, actor, id, "assess", func(tx *Tx, c *shuyu.Channel, next string) error {
		_, err := tx.exec(`UPDATE data_channels SET assessment = ?, status = ?, updated_at = ? WHERE id = ? AND status = ?`,
			assessment, next, micros(tx.now), id, c.Status)
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditChannelAssess, ObjectType: "channel", ObjectID: id, Reason: assessment,
			Detail: map[string]any{"rule": "R15.1"}})
	})
}

// DecideChannel takes the decision on an assessed channel: fold_in (the
// data is provided through the platform from now on) or close.
func (d *DB) DecideChannel(ctx context.Context, actor *shuyu.Actor, id int64, decision, reason string) (*shuyu.Channel, error) {
	if decision != shuyu.ChannelFoldIn && decision != shuyu.ChannelClose {
		return nil, shuyu.Errorf(shuyu.EINVALID, "决定只能是归并到平台或关闭 (decision must be fold_in or close)").
			WithDetails([]shuyu.FieldError{{Field: "decision", Message: "只能是归并到平台或关闭"}})
	}
	return d.channelStep(ctx, actor, id, decision, func(tx *Tx, c *shuyu.Channel, next string) error {
		_, err := tx.exec(`UPDATE data_channels SET decision = ?, status = ?, updated_at = ? WHERE id = ? AND status = ?`,
			decision, next, micros(tx.now), id, c.Status)
		if err != nil {
			return err
		}
		return tx.audit(Change{Action: shuyu.AuditChannelDecide, ObjectType: "channel", ObjectID: id, Reason: strings.TrimSpace(reason),
			Detail: map[string]any{"decision": decision, "rule": "R15.1"}})
	})
}

func (d *DB) channelStep(ctx context.Context, actor *shuyu.Actor, id int64, event string, fn func(tx *Tx, c *shuyu.Channel, next string) error) (*shuyu.Channel, error) {
	if err := shuyu.Authorize(actor, shuyu.ActChannelManage, shuyu.Resource{Kind: "channel"}); err != nil {
		return nil, err
	}
	var out *shuyu.Channel
	err := d.update(ctx, actor, func(tx *Tx) error {
		c, err := tx.channel(id)
		if err != nil {
			return err
		}
		next, err := shuyu.ChannelMachine.Next(c.Status, event)
		if err != nil {
			return err
		}
		if err := fn(tx, c, next); err != nil {
			return err
		}
		out, err = tx.channel(id)
		return err
	})
	return out, err
}

// Channels lists the register.
func (d *DB) Channels(ctx context.Context, actor *shuyu.Actor) ([]*shuyu.Channel, error) {
	if err := shuyu.Authorize(actor, shuyu.ActChannelRead, shuyu.Resource{Kind: "channel"}); err != nil {
		return nil, err
	}
	out := []*shuyu.Channel{}
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT ` + channelCols + ` FROM data_channels ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanChannel(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// ChannelSummary is the public count of the register by status.
func (d *DB) ChannelSummary(ctx context.Context) (shuyu.ChannelSummary, error) {
	var s shuyu.ChannelSummary
	err := d.view(ctx, func(tx *Tx) error {
		rows, err := tx.query(`SELECT status, count(*) FROM data_channels GROUP BY status`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				return err
			}
			s.Total += n
			switch st {
			case shuyu.ChannelOpen:
				s.Open = n
			case shuyu.ChannelAssessed:
				s.Assessed = n
			case shuyu.ChannelFolded:
				s.Folded = n
			case shuyu.ChannelClosed:
				s.Closed = n
			}
		}
		return rows.Err()
	})
	return s, err
}
