package demo

import (
	"context"
	"fmt"
	"math/rand/v2"

	"shuyu"
	"shuyu/ident"
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
func seedOversight(ctx context.Context, db *sqlstore.DB, password string) error {
	if err := seedSecretMarks(ctx, db); err != nil {
		return err
	}
	return seedExperts(ctx, db, password)
}

// seedSecretMarks records demoSecretMarks.
func seedSecretMarks(ctx context.Context, db *sqlstore.DB) error {
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

// seedExperts: the operator asked the committee about merchant-a's
// onboarding and the expert signed a conditional opinion; a new
// registration waits for the committee's opinion before the operator may
// decide it (R7.1).
func seedExperts(ctx context.Context, db *sqlstore.DB, password string) error {
	op, err := demoActor(ctx, db, "operator-reviewer")
	if err != nil {
		return err
	}
	auth, err := demoActor(ctx, db, "authority")
	if err != nil {
		return err
	}
	expert, err := demoActor(ctx, db, "expert")
	if err != nil {
		return err
	}
	regs, err := db.Registrations(ctx, op, "")
	if err != nil {
		return err
	}
	var registered int64
	for _, g := range regs {
		if g.Username == "merchant-a" {
			registered = g.ID
		}
	}
	docs, err := db.PublicDocuments(ctx)
	if err != nil || len(docs) == 0 {
		return fmt.Errorf("demo: experts: no onboarding rules (%v)", err)
	}
	var rules int64
	for _, d := range docs {
		if d.Kind == shuyu.DocOnboardingRules {
			rules = d.ID
		}
	}
	g, _, err := db.SubmitRegistration(ctx, sqlstore.RegistrationInput{Registration: shuyu.Registration{
		Company: "宁夏沙坡头光伏数据服务有限公司", USCC: ident.GenUSCC(rand.New(rand.NewPCG(640502, 7)), "640502"), LegalRep: "马志刚",
		ContactName: "马志刚", ContactPhone: "13895501234", BusinessScope: "光伏电站运行数据分析；能源数据服务；软件开发",
		SecurityStatement: "拟租用第三方云平台处理数据，数据安全管理制度正在制定中。", Username: "merchant-pv", RulesDocID: rules},
		Password: password})
	if err != nil {
		return fmt.Errorf("demo: experts: registration: %w", err)
	}
	if _, err := db.AcceptRegistration(ctx, op, g.ID); err != nil {
		return err
	}
	if _, err := db.ReferCase(ctx, auth, shuyu.ReferralInput{CaseKind: shuyu.CaseRegistration, CaseID: g.ID,
		Title: "境外云平台处理公共数据的风险评估", Blocking: true, Experts: []int64{expert.UserID},
		Questions: "申请人拟租用第三方云平台处理公共数据，数据安全管理制度尚未建立。请评估其数据安全保护能力能否满足入驻要求，并提出须补充的条件。"}); err != nil {
		return fmt.Errorf("demo: experts: refer: %w", err)
	}
	if registered == 0 {
		return nil
	}
	ref, err := db.ReferCase(ctx, op, shuyu.ReferralInput{CaseKind: shuyu.CaseRegistration, CaseID: registered,
		Title: "医疗结算数据使用能力评估", Experts: []int64{expert.UserID},
		Questions: "该企业拟申请医保结算等敏感个人信息，请评估其安全管理制度与技术措施是否与数据的敏感程度相适应。"})
	if err != nil {
		return fmt.Errorf("demo: experts: refer: %w", err)
	}
	_, err = db.GiveOpinion(ctx, expert, ref.ID, shuyu.OpinionInput{Conclusion: shuyu.OpinionConditional, Password: password,
		Opinion: "企业已通过等保三级测评，制度基本健全。建议：一、医保结算数据仅在沙箱内以聚合方式使用；二、每季度报送数据安全自查报告；三、专职安全负责人须参加平台组织的培训。"})
	if err != nil {
		return fmt.Errorf("demo: experts: opinion: %w", err)
	}
	return nil
}
