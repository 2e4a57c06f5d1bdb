package demo

import (
	"context"
	"fmt"

	"shuyu"
	"shuyu/sqlstore"
)

// demoSecretMark is one secret mark of the demo (R2.1).
type demoSecretMark struct {
	by, code, field string
	class           shuyu.SecretClass
	basis           string
	liftBy, lift    string // lifted by this account with this reason, if set
}

// demoSecretMarks: a draft that can no longer be submitted (the whole
// entry is a work secret), an approved entry whose publication is refused
// because one field was marked during review, and a mark the authority
// lifted after the secrecy bureau's ruling.
var demoSecretMarks = []demoSecretMark{
	{"dept-gongan", "ZW-GA-0006", "", shuyu.SecretWork,
		"《公安机关工作秘密事项范围》户籍管理类：批量户籍迁移明细属工作秘密", "", ""},
	{"authority", "ZW-ZR-0005", "price", shuyu.SecretWork,
		"未公开的矿业权出让收益测算属自然资源工作秘密（市自然资源局函）", "", ""},
	{"dept-gongan", "ZW-GA-0005", "", shuyu.SecretState,
		"出入境证件统计涉及口岸管控数据，暂按国家秘密管理待定密", "authority", "经市国家保密局核定，按月汇总的办证数量不属于国家秘密"},
}

// seedOversight records the demo's supervision data; it does nothing when
// marks exist already.
func seedOversight(ctx context.Context, db *sqlstore.DB) error {
	auth, err := demoActor(ctx, db, "authority")
	if err != nil {
		return err
	}
	if ms, err := db.SecretMarks(ctx, auth, 0, false); err != nil || len(ms) > 0 {
		return err
	}
	for _, s := range demoSecretMarks {
		a, err := demoActor(ctx, db, s.by)
		if err != nil {
			return err
		}
		e, err := db.DomainEntryByCode(ctx, s.code)
		if err != nil {
			return fmt.Errorf("demo: secret mark on %s: %w", s.code, err)
		}
		m, err := db.MarkSecret(ctx, a, e.ID, shuyu.SecretMarkInput{Field: s.field, Class: s.class, Basis: s.basis})
		if err != nil {
			return fmt.Errorf("demo: secret mark on %s: %w", s.code, err)
		}
		if s.liftBy != "" {
			l, err := demoActor(ctx, db, s.liftBy)
			if err != nil {
				return err
			}
			if _, err := db.LiftSecret(ctx, l, m.ID, s.lift); err != nil {
				return fmt.Errorf("demo: lift the mark on %s: %w", s.code, err)
			}
		}
	}
	return nil
}
