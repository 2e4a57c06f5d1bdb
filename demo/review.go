package demo

import (
	"context"
	"fmt"

	"shuyu"
	"shuyu/sqlstore"
)

// reviewRules is the demo's onboarding rules text (R18.1).
const reviewRules = `中卫市公共数据授权运营数据商入驻规则（试行）
一、数据商应为依法设立的企业法人，具备与数据开发利用相适应的技术能力和数据安全保护能力。
二、申请入驻应提交营业执照、法定代表人信息、经营范围、数据安全能力说明等材料。
三、运营机构自受理之日起 5 个工作日内作出是否准予入驻的决定，不予入驻的说明理由。
四、数据商应遵守《中卫市公共数据资源授权运营管理办法》，不得滥用数据、算法、技术、资本优势。`

// reviewClauses is the demo's format agreement template (R19.1).
var reviewClauses = map[string]string{
	"rights":      "甲方依法提供公共数据开发利用环境和服务；乙方在授权范围内开发利用公共数据，不得超范围使用。",
	"scenario":    "应用场景：{{scenario}}。使用方式：{{method}}。",
	"data_scope":  "数据范围：{{data_scope}}。原始数据不出域，乙方仅可在平台内使用。",
	"term":        "使用期限：{{term}}，期满自动终止，可依规重新申请。",
	"conditions":  "乙方用途为{{purpose}}，仅可用于本协议约定的场景（申请：{{application}}）。",
	"security":    "乙方应落实以下安全措施：{{security_measures}}；遵守国家数据安全、个人信息保护规定。",
	"fees":        "收费方式：{{fee_mode}}，按成本加合理利润原则收取相关服务费。",
	"trading":     "基于公共数据形成的产品和服务经出域核查并备案后，方可依规进入数据交易场所交易。",
	"termination": "乙方违反约定、数据商退出或主管部门暂停数据供给的，甲方可终止本协议。",
	"liability":   "乙方违约造成数据泄露或其他损失的，依法承担相应责任。",
}

// seedReview approves the demo's onboarding rules and agreement template
// and registers the demo merchants through the onboarding flow.
func seedReview(ctx context.Context, db *sqlstore.DB) error {
	sys := shuyu.System
	rules := &shuyu.Document{Kind: shuyu.DocOnboardingRules, Title: "数据商入驻规则（试行）", Body: reviewRules}
	var cs []shuyu.Clause
	for _, k := range shuyu.ClauseKeys {
		cs = append(cs, shuyu.Clause{Key: k, Title: shuyu.ClauseTitles[k], Text: reviewClauses[k]})
	}
	tpl := &shuyu.Document{Kind: shuyu.DocAgreementTemplate, Title: "公共数据开发利用格式协议（试行）", Clauses: cs}
	for _, d := range []*shuyu.Document{rules, tpl} {
		if err := db.CreateDocument(ctx, sys, d); err != nil {
			return fmt.Errorf("demo: %s: %w", d.Title, err)
		}
		if _, err := db.ApproveDocument(ctx, sys, d.ID); err != nil {
			return fmt.Errorf("demo: approve %s: %w", d.Title, err)
		}
	}
	for _, a := range Accounts {
		if a.Role != shuyu.RoleMerchant {
			continue
		}
		o, err := db.OrgByName(ctx, a.Org)
		if err != nil {
			return err
		}
		in := sqlstore.RegistrationInput{Registration: shuyu.Registration{Company: o.Name, USCC: o.Code, LegalRep: "王明",
			ContactName: a.Name, ContactPhone: "13895500001", BusinessScope: "数据处理和存储支持服务；软件开发；信息技术咨询服务",
			SecurityStatement: "已建立数据安全管理制度，通过网络安全等级保护三级测评，设专职数据安全负责人。",
			Username:          a.Username, RulesDocID: rules.ID}, Password: DefaultPassword}
		g, _, err := db.SubmitRegistration(ctx, in)
		if err != nil {
			return fmt.Errorf("demo: register %s: %w", o.Name, err)
		}
		if _, err := db.AcceptRegistration(ctx, sys, g.ID); err != nil {
			return err
		}
		if _, err := db.DecideRegistration(ctx, sys, g.ID, true, "材料齐全，符合入驻规则"); err != nil {
			return err
		}
	}
	return nil
}
