// Package demo fills a new platform with realistic demo data: the parties of
// Zhongwei (中卫市) and one account per role. Everything is synthetic; the
// organizations are the real public bodies of the city, the companies are
// made up.
package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"shuyu"
	"shuyu/ident"
	"shuyu/sqlstore"
)

// DefaultPassword is the demo accounts' password unless --demo-password
// says otherwise.
const DefaultPassword = "Shuyu-demo-2026"

// Org is a demo organization.
type Org struct {
	Kind   shuyu.OrgKind
	Name   string
	NameEN string
	Region string
}

// Orgs are the parties of the measures in Zhongwei.
var Orgs = []Org{
	{shuyu.OrgAuthority, "中卫市数据局", "Zhongwei Municipal Data Bureau", shuyu.RegionZhongwei},
	{shuyu.OrgCountyAuthority, "沙坡头区数据局", "Shapotou District Data Bureau", shuyu.RegionShapotou},
	{shuyu.OrgCountyAuthority, "中宁县数据局", "Zhongning County Data Bureau", shuyu.RegionZhongning},
	{shuyu.OrgCountyAuthority, "海原县数据局", "Haiyuan County Data Bureau", shuyu.RegionHaiyuan},
	{shuyu.OrgSourceDept, "中卫市公安局", "Zhongwei Public Security Bureau", shuyu.RegionZhongwei},
	{shuyu.OrgSourceDept, "中卫市人力资源和社会保障局", "Zhongwei Human Resources and Social Security Bureau", shuyu.RegionZhongwei},
	{shuyu.OrgSourceDept, "中卫市市场监督管理局", "Zhongwei Market Regulation Administration", shuyu.RegionZhongwei},
	{shuyu.OrgSourceDept, "中卫市卫生健康委员会", "Zhongwei Health Commission", shuyu.RegionZhongwei},
	{shuyu.OrgSourceDept, "中卫市医疗保障局", "Zhongwei Healthcare Security Bureau", shuyu.RegionZhongwei},
	{shuyu.OrgSourceDept, "中卫市自然资源局", "Zhongwei Natural Resources Bureau", shuyu.RegionZhongwei},
	{shuyu.OrgSourceDept, "中卫市交通运输局", "Zhongwei Transport Bureau", shuyu.RegionZhongwei},
	{shuyu.OrgSourceDept, "中卫市民政局", "Zhongwei Civil Affairs Bureau", shuyu.RegionZhongwei},
	{shuyu.OrgSourceDept, "沙坡头区教育局", "Shapotou District Education Bureau", shuyu.RegionShapotou},
	{shuyu.OrgSourceDept, "中宁县农业农村局", "Zhongning County Agriculture and Rural Affairs Bureau", shuyu.RegionZhongning},
	{shuyu.OrgSourceDept, "海原县卫生健康局", "Haiyuan County Health Bureau", shuyu.RegionHaiyuan},
	{shuyu.OrgOperator, "中卫市公共数据运营有限公司", "Zhongwei Public Data Operation Co., Ltd.", shuyu.RegionZhongwei},
	{shuyu.OrgMerchant, "宁夏云图数据科技有限公司", "Ningxia Yuntu Data Technology Co., Ltd.", shuyu.RegionShapotou},
	{shuyu.OrgMerchant, "中卫星河信息技术有限公司", "Zhongwei Xinghe Information Technology Co., Ltd.", shuyu.RegionZhongning},
	{shuyu.OrgExpertCommittee, "中卫市公共数据授权运营专家委员会", "Zhongwei Expert Committee on Public Data", shuyu.RegionZhongwei},
	{shuyu.OrgRegulator, "中共中卫市委网络安全和信息化委员会办公室", "Zhongwei Cyberspace Administration", shuyu.RegionZhongwei},
	{shuyu.OrgServiceProvider, "宁夏明律数据合规咨询有限公司", "Ningxia Minglv Data Compliance Consulting Co., Ltd.", shuyu.RegionZhongwei},
}

// Account is a demo account.
type Account struct {
	Username string
	Name     string // display name
	Org      string
	Role     shuyu.Role
}

// Accounts are every demo account: one per role (the usernames the README
// and the tests use), then the source departments' staff of the catalog.
var Accounts = slices.Concat(roleAccounts, catalogAccounts)

// roleAccounts: one per role, with the usernames the README and the tests use.
var roleAccounts = []Account{
	{"authority", "李明（市数据局）", "中卫市数据局", shuyu.RoleAuthority},
	{"county-shapotou", "王芳（沙坡头区数据局）", "沙坡头区数据局", shuyu.RoleCountyAuthority},
	{"county-zhongning", "张伟（中宁县数据局）", "中宁县数据局", shuyu.RoleCountyAuthority},
	{"county-haiyuan", "马海军（海原县数据局）", "海原县数据局", shuyu.RoleCountyAuthority},
	{"dept-gongan", "刘洋（市公安局）", "中卫市公安局", shuyu.RoleDept},
	{"dept-renshe", "陈静（市人社局）", "中卫市人力资源和社会保障局", shuyu.RoleDept},
	{"dept-shichang", "杨帆（市市场监管局）", "中卫市市场监督管理局", shuyu.RoleDept},
	{"dept-weijian", "赵丽（市卫健委）", "中卫市卫生健康委员会", shuyu.RoleDept},
	{"operator-admin", "孙强（运营机构）", "中卫市公共数据运营有限公司", shuyu.RoleOperatorAdmin},
	{"operator-reviewer", "周敏（合规审核）", "中卫市公共数据运营有限公司", shuyu.RoleOperatorReviewer},
	{"operator-reviewer2", "吴磊（合规审核）", "中卫市公共数据运营有限公司", shuyu.RoleOperatorReviewer},
	{"merchant-a", "郑浩（云图数据）", "宁夏云图数据科技有限公司", shuyu.RoleMerchant},
	{"merchant-b", "何雪（星河信息）", "中卫星河信息技术有限公司", shuyu.RoleMerchant},
	{"expert", "丁教授（专家委员会）", "中卫市公共数据授权运营专家委员会", shuyu.RoleExpert},
	{"regulator", "田军（市委网信办）", "中共中卫市委网络安全和信息化委员会办公室", shuyu.RoleRegulator},
	{"provider", "金律师（合规服务）", "宁夏明律数据合规咨询有限公司", shuyu.RoleServiceProvider},
	{"sysadmin", "系统管理员", "中卫市公共数据运营有限公司", shuyu.RoleSysAdmin},
	{"secadmin", "安全管理员", "中卫市公共数据运营有限公司", shuyu.RoleSecAdmin},
	{"auditadmin", "审计管理员", "中卫市公共数据运营有限公司", shuyu.RoleAuditAdmin},
}

// Seed creates the demo organizations and accounts unless they exist
// already (a restart keeps the data). It acts as the system actor, so the
// trail shows who set the demo up.
func Seed(ctx context.Context, db *sqlstore.DB, password string) (created bool, err error) {
	if password == "" {
		password = DefaultPassword
	}
	if _, err := db.OrgByName(ctx, Orgs[0].Name); err == nil {
		return false, nil
	} else if shuyu.ErrorCode(err) != shuyu.ENOTFOUND {
		return false, err
	}
	r := rand.New(rand.NewPCG(640500, 2026)) // fixed: the demo is the same every time
	organs := rand.New(rand.NewPCG(640500, 11))
	ids := map[string]int64{}
	for _, o := range Orgs {
		org := &shuyu.Org{Kind: o.Kind, Name: o.Name, NameEN: o.NameEN, Region: o.Region}
		if o.Kind == shuyu.OrgMerchant || o.Kind == shuyu.OrgServiceProvider || o.Kind == shuyu.OrgOperator {
			org.Code = ident.GenUSCC(r, o.Region)
		}
		if o.Kind == shuyu.OrgSourceDept || o.Kind == shuyu.OrgAuthority || o.Kind == shuyu.OrgCountyAuthority {
			org.Code = ident.GenOrganUSCC(organs, o.Region) // the subject of its registrations (NREG.5)
		}
		if err := db.CreateOrg(ctx, shuyu.System, org); err != nil {
			return false, fmt.Errorf("demo: org %s: %w", o.Name, err)
		}
		ids[o.Name] = org.ID
	}
	for _, a := range Accounts {
		_, err := db.CreateUser(ctx, shuyu.System, sqlstore.NewUser{OrgID: ids[a.Org], Username: a.Username,
			DisplayName: a.Name, Roles: []shuyu.Role{a.Role}, Password: password})
		if err != nil {
			return false, fmt.Errorf("demo: account %s: %w", a.Username, err)
		}
	}
	if err := seedAuthorization(ctx, db, password); err != nil {
		return false, err
	}
	if err := seedReview(ctx, db); err != nil {
		return false, err
	}
	if err := seedCatalog(ctx, db); err != nil {
		return false, err
	}
	if err := seedPortal(ctx, db); err != nil {
		return false, err
	}
	if err := seedOversight(ctx, db, password); err != nil {
		return false, err
	}
	if err := seedMoney(ctx, db); err != nil {
		return false, err
	}
	if err := seedPlan(ctx, db); err != nil {
		return false, err
	}
	return true, seedDisclosure(ctx, db)
}
