package shuyu

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Money (issue 14): costs, the allowed maximum revenue, the price
// catalogue with the authority's caps, charges from metering, monthly
// statements, the cap on the whole and revenue sharing, under the measures
// (R14.2, R24.2, R25.1) and the national pricing notice of 2025 (NPRC.1–5,
// NIMP.7). Every amount is an int64 number of fen (分); no float ever holds
// money. Two rounding rules, both stated where they apply:
//
//   - a charge line is price × quantity ÷ the unit's divisor, rounded half
//     up to the fen (LineAmount);
//   - a total split into shares (the excess deducted from merchants, the
//     revenue shared with the city and the departments) uses the largest
//     remainder method (Apportion), so the shares sum exactly to the total.

// Actions of money.
const (
	ActMoneyRead     Action = "money.read"      // the year's account, costs, allowed revenue, revenue against the cap
	ActMoneyCost     Action = "money.cost"      // record the operator's costs (net of subsidies)
	ActMoneyApprove  Action = "money.approve"   // approve allowed revenue, caps and sharing rules (the authority)
	ActMoneyOperate  Action = "money.operate"   // record usage, issue statements, close a year, distribute
	ActPriceSet      Action = "price.set"       // the operator's price, at most the cap
	ActBillRead      Action = "bill.read"       // a statement with its lines
	ActBillDispute   Action = "bill.dispute"    // the merchant disputes a line
	ActBillResolve   Action = "bill.resolve"    // the operator resolves a dispute
	ActMoneyPurpose  Action = "money.purpose"   // the purpose of a workspace opened without an agreement
	ActMoneyDistRead Action = "money.dist_read" // the distribution statement (departments see it too)
)

// moneyRules: the authority approves (with the development-and-reform side,
// recorded on the approval); the operator records costs, sets prices under
// the caps, issues statements and resolves disputes; merchants read their
// own statements and dispute lines; regulators read everything. Departments
// see the distribution statement (their share, R25.1).
var moneyRules = slices.Concat(
	[]Rule{
		{RoleAuthority, ActMoneyRead, ScopeAny},
		{RoleAuthority, ActMoneyApprove, ScopeAny},
		{RoleAuthority, ActBillRead, ScopeAny},
		{RoleAuthority, ActMoneyDistRead, ScopeAny},
		{RoleOperatorAdmin, ActMoneyRead, ScopeAny},
		{RoleOperatorAdmin, ActMoneyCost, ScopeAny},
		{RoleOperatorAdmin, ActMoneyOperate, ScopeAny},
		{RoleOperatorAdmin, ActPriceSet, ScopeAny},
		{RoleOperatorAdmin, ActBillRead, ScopeAny},
		{RoleOperatorAdmin, ActBillResolve, ScopeAny},
		{RoleOperatorAdmin, ActMoneyPurpose, ScopeAny},
		{RoleOperatorAdmin, ActMoneyDistRead, ScopeAny},
		{RoleRegulator, ActMoneyRead, ScopeAny},
		{RoleRegulator, ActBillRead, ScopeAny},
		{RoleRegulator, ActMoneyDistRead, ScopeAny},
		{RoleMerchant, ActBillRead, ScopeOrg},
		{RoleMerchant, ActBillDispute, ScopeOrg},
		{RoleDept, ActMoneyDistRead, ScopeAny},
	},
)

// Charging units (NPRC.4: by product count, calls, service time or volume).
// Quantities are integers in the unit's base measure; Divisor converts.
const (
	UnitDelivery = "delivery" // one product delivery
	UnitCall     = "call"     // one API call
	UnitCPUHour  = "cpu_hour" // workspace compute; quantity in CPU microseconds
	UnitRows     = "rows_10k" // volume: rows scanned; quantity in rows, priced per 10,000
	UnitMonth    = "month"    // a period; quantity in months
	UnitQuery    = "query"    // one governed query over real data
	UnitProduct  = "product"  // one product (count)
	UnitDivCPU   = 3_600_000_000
	UnitDivRows  = 10_000
	maxPriceFen  = 100_000_000_00 // 1亿元 per unit: a typo guard, not a rule
	maxAmountFen = int64(1) << 53 // per line and per total: far above any real bill
)

// Units lists the charging units in display order.
var Units = []string{UnitDelivery, UnitCall, UnitQuery, UnitCPUHour, UnitRows, UnitMonth, UnitProduct}

// UnitDivisor is how many base measures make one priced unit.
func UnitDivisor(unit string) int64 {
	switch unit {
	case UnitCPUHour:
		return UnitDivCPU
	case UnitRows:
		return UnitDivRows
	}
	return 1
}

// Services the catalogue prices: where a charge line comes from.
const (
	ServiceCompute  = "workspace_compute" // CPU time of governed queries over real data
	ServiceRows     = "workspace_rows"    // rows scanned by governed queries over real data
	ServiceQuery    = "workspace_query"   // governed queries over real data, per query
	ServiceDelivery = "product_delivery"  // deliveries of one product
	ServiceAPICall  = "api_call"          // calls of one product's API (metered by the gateway)
	ServiceOther    = "service"           // a service the operator offers (consulting, a report), by period or count
)

// Services lists the services in display order.
var Services = []string{ServiceCompute, ServiceRows, ServiceQuery, ServiceDelivery, ServiceAPICall, ServiceOther}

// ServiceIsProduct: the service is of one product (the item names it).
func ServiceIsProduct(s string) bool { return s == ServiceDelivery || s == ServiceAPICall }

// Cost categories (NPRC.2).
const (
	CostPlatform = "platform" // 平台建设与运营
	CostData     = "data"     // 数据传输、汇聚、存储、加工
	CostStaff    = "staff"    // 人员
	CostOther    = "other"    // 其他
)

// CostCategories lists them in display order.
var CostCategories = []string{CostPlatform, CostData, CostStaff, CostOther}

// MoneyZone is Beijing time: statement months and years are Beijing's.
var MoneyZone = time.FixedZone("CST", 8*3600)

// Period is a statement month, "2026-03".
type Period string

// PeriodOf is the Beijing month t falls in.
func PeriodOf(t time.Time) Period { return Period(t.In(MoneyZone).Format("2006-01")) }

// ParsePeriod checks a "YYYY-MM" month.
func ParsePeriod(s string) (Period, error) {
	if _, err := time.ParseInLocation("2006-01", s, MoneyZone); err != nil || len(s) != 7 {
		return "", Errorf(EINVALID, "账期格式应为 YYYY-MM (period must be YYYY-MM)")
	}
	return Period(s), nil
}

// Bounds are the first instant of the month and of the next.
func (p Period) Bounds() (from, to time.Time) {
	t, _ := time.ParseInLocation("2006-01", string(p), MoneyZone)
	return t.UTC(), t.AddDate(0, 1, 0).UTC()
}

// Next is the month after p.
func (p Period) Next() Period {
	t, _ := time.ParseInLocation("2006-01", string(p), MoneyZone)
	return Period(t.AddDate(0, 1, 0).Format("2006-01"))
}

// Year of the month.
func (p Period) Year() int {
	t, _ := time.ParseInLocation("2006-01", string(p), MoneyZone)
	return t.Year()
}

// YearBounds are the first instants of the Beijing year and of the next.
func YearBounds(y int) (from, to time.Time) {
	return time.Date(y, 1, 1, 0, 0, 0, 0, MoneyZone).UTC(), time.Date(y+1, 1, 1, 0, 0, 0, 0, MoneyZone).UTC()
}

// LineAmount is price × quantity ÷ divisor, rounded half up to the fen.
// It refuses what would overflow int64 (a line of more than about 90
// trillion yuan is an input error).
func LineAmount(priceFen, quantity, divisor int64) (int64, error) {
	if priceFen < 0 || quantity < 0 || divisor <= 0 {
		return 0, Errorf(EINVALID, "金额或数量不能为负 (negative amount or quantity)")
	}
	if priceFen != 0 && quantity > maxAmountFen/priceFen {
		return 0, Errorf(EINVALID, "金额过大 (amount too large)")
	}
	return (priceFen*quantity + divisor/2) / divisor, nil
}

// Apportion splits total into len(weights) shares proportional to the
// weights by the largest remainder method (Hamilton): each share is the
// floor of total × weight ÷ Σweights; the fen left over go one each to the
// shares with the largest remainders, ties to the lower index. The shares
// sum exactly to total. With every weight zero, all goes to the first
// share (the caller names it: the operator's, or the first party).
// Weights and total must be non-negative.
func Apportion(total int64, weights []int64) []int64 {
	out := make([]int64, len(weights))
	if len(weights) == 0 || total == 0 {
		return out
	}
	var sum int64
	for _, w := range weights {
		sum += w
	}
	if sum == 0 {
		out[0] = total
		return out
	}
	rem := make([]int64, len(weights))
	var given int64
	for i, w := range weights {
		q, r := mulDiv(total, w, sum)
		out[i], rem[i] = q, r
		given += q
	}
	left := total - given // < len(weights)
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case rem[a] > rem[b]:
			return -1
		case rem[a] < rem[b]:
			return 1
		}
		return a - b
	})
	for i := int64(0); i < left; i++ {
		out[idx[i]]++
	}
	return out
}

// mulDiv is a×b÷c with its remainder, exact for non-negative inputs with
// b ≤ c (a 128-bit intermediate, so the quotient always fits).
func mulDiv(a, b, c int64) (q, r int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	qq, rr := bits.Div64(hi, lo, uint64(c))
	return int64(qq), int64(rr)
}

// FormatFen writes fen as yuan with two decimals: 123456 → "1,234.56".
func FormatFen(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	y, f := fen/100, fen%100
	s := fmt.Sprint(y)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := fmt.Sprintf("%s.%02d", b.String(), f)
	if neg {
		out = "-" + out
	}
	return out
}

// ParseYuan reads "1234.5" or "1,234.56" yuan as fen, exactly (no float).
func ParseYuan(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	bad := Errorf(EINVALID, "金额格式有误，应为元，最多两位小数 (amount in yuan, at most two decimals)")
	if s == "" || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, bad
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" || len(whole) > 13 {
		return 0, bad
	}
	frac += strings.Repeat("0", 2-len(frac))
	var v int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, bad
		}
		v = v*10 + int64(c-'0')
	}
	return v, nil
}

// CostInput is one cost of the operator for a year and category (NPRC.2):
// the gross cost and the subsidies received against it; the net counts.
type CostInput struct {
	Year       int    `json:"year"`
	Category   string `json:"category"`
	AmountFen  int64  `json:"amount_fen"`
	SubsidyFen int64  `json:"subsidy_fen"`
	Note       string `json:"note"`
}

// Validate the cost.
func (c *CostInput) Validate() error {
	c.Note = strings.TrimSpace(c.Note)
	var fe []FieldError
	if c.Year < 2000 || c.Year > 2100 {
		fe = append(fe, FieldError{Field: "year", Message: "年度无效"})
	}
	if !slices.Contains(CostCategories, c.Category) {
		fe = append(fe, FieldError{Field: "category", Message: "成本类别无效"})
	}
	if c.AmountFen < 0 || c.AmountFen > maxAmountFen {
		fe = append(fe, FieldError{Field: "amount_fen", Message: "成本金额须为非负的分"})
	}
	if c.SubsidyFen < 0 || c.SubsidyFen > c.AmountFen {
		fe = append(fe, FieldError{Field: "subsidy_fen", Message: "补助须为非负且不超过成本"})
	}
	if utf8.RuneCountInString(c.Note) > 500 {
		fe = append(fe, FieldError{Field: "note", Message: "说明不超过 500 字"})
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "成本信息有误 (invalid cost)").WithDetails(fe)
	}
	return nil
}

// Cost is a recorded cost.
type Cost struct {
	ID int64 `json:"id"`
	CostInput
	NetFen    int64     `json:"net_fen"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// AllowedInput is the authority's approval of a year's maximum allowed
// revenue (NPRC.2): allowed cost, a profit rate in basis points of it, and
// taxes; the maximum is their sum. Approval names the document of the
// development-and-reform side it follows.
type AllowedInput struct {
	Year           int    `json:"year"`
	AllowedCostFen int64  `json:"allowed_cost_fen"`
	ProfitRateBP   int64  `json:"profit_rate_bp"` // 1 bp = 0.01 %; 600 = 6 %
	TaxFen         int64  `json:"tax_fen"`
	ApprovalRef    string `json:"approval_ref"` // 发改 document number
	Note           string `json:"note"`
}

// Validate the approval.
func (a *AllowedInput) Validate() error {
	a.ApprovalRef, a.Note = strings.TrimSpace(a.ApprovalRef), strings.TrimSpace(a.Note)
	var fe []FieldError
	if a.Year < 2000 || a.Year > 2100 {
		fe = append(fe, FieldError{Field: "year", Message: "年度无效"})
	}
	if a.AllowedCostFen < 0 || a.AllowedCostFen > maxAmountFen/10000 {
		fe = append(fe, FieldError{Field: "allowed_cost_fen", Message: "准许成本须为非负的分"})
	}
	if a.ProfitRateBP < 0 || a.ProfitRateBP > 5000 {
		fe = append(fe, FieldError{Field: "profit_rate_bp", Message: "准许利润率须在 0 至 50% 之间"})
	}
	if a.TaxFen < 0 || a.TaxFen > maxAmountFen/10000 {
		fe = append(fe, FieldError{Field: "tax_fen", Message: "税金须为非负的分"})
	}
	if n := utf8.RuneCountInString(a.ApprovalRef); n < 2 || n > 100 {
		fe = append(fe, FieldError{Field: "approval_ref", Message: "须填写发展改革部门的核定文号"})
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "准许收入核定有误 (invalid approval)").WithDetails(fe)
	}
	return nil
}

// Profit is the allowed profit: cost × rate, rounded half up to the fen.
func (a *AllowedInput) Profit() int64 {
	p, _ := LineAmount(a.AllowedCostFen, a.ProfitRateBP, 10000)
	return p
}

// Allowed is an approved maximum allowed revenue, one version of a year.
type Allowed struct {
	ID      int64 `json:"id"`
	Version int   `json:"version"`
	AllowedInput
	ProfitFen     int64     `json:"profit_fen"`
	MaxRevenueFen int64     `json:"max_revenue_fen"` // 最高准许收入
	ApprovedBy    string    `json:"approved_by"`
	ApprovedAt    time.Time `json:"approved_at"`
}

// PriceItemInput is a catalogue item the authority creates with its cap
// (上限收费标准, NPRC.3). Purpose is derived for a product's items (from the
// product's workspace) and declared for other services; a public
// governance or welfare item is priced 0 by rule (NPRC.1, R24.2).
type PriceItemInput struct {
	Service    string `json:"service"`
	ProductID  int64  `json:"product_id,omitempty"`
	Name       string `json:"name"`
	Class      string `json:"class"` // product class for the charts, e.g. 医疗健康
	Unit       string `json:"unit"`
	Purpose    string `json:"purpose,omitempty"` // for services that are not a product's
	CapFen     int64  `json:"cap_fen"`
	TrialUntil string `json:"trial_until,omitempty"` // 试行 until this day (YYYY-MM-DD); empty: not a trial
	Note       string `json:"note"`
}

// Validate the item (the purpose is checked by the store, which knows the
// product's).
func (p *PriceItemInput) Validate() error {
	p.Name, p.Class, p.Note = strings.TrimSpace(p.Name), strings.TrimSpace(p.Class), strings.TrimSpace(p.Note)
	var fe []FieldError
	if !slices.Contains(Services, p.Service) {
		fe = append(fe, FieldError{Field: "service", Message: "服务类型无效"})
	}
	if ServiceIsProduct(p.Service) != (p.ProductID != 0) {
		fe = append(fe, FieldError{Field: "product_id", Message: "产品交付和接口调用须指定产品，其他服务不得指定"})
	}
	if n := utf8.RuneCountInString(p.Name); n < 2 || n > 100 {
		fe = append(fe, FieldError{Field: "name", Message: "名称须为 2 至 100 个字"})
	}
	if n := utf8.RuneCountInString(p.Class); n < 2 || n > 20 {
		fe = append(fe, FieldError{Field: "class", Message: "产品类别须为 2 至 20 个字"})
	}
	if !slices.Contains(Units, p.Unit) {
		fe = append(fe, FieldError{Field: "unit", Message: "计费单位无效"})
	}
	if p.CapFen < 0 || p.CapFen > maxPriceFen {
		fe = append(fe, FieldError{Field: "cap_fen", Message: "上限须为非负的分"})
	}
	if p.TrialUntil != "" {
		if _, err := time.ParseInLocation(time.DateOnly, p.TrialUntil, MoneyZone); err != nil {
			fe = append(fe, FieldError{Field: "trial_until", Message: "试行截止日期格式应为 YYYY-MM-DD"})
		}
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "价目信息有误 (invalid price item)").WithDetails(fe)
	}
	return nil
}

// FreePurpose: public governance and public welfare are free (NPRC.1, R24.2).
func FreePurpose(purpose string) bool { return FeeMode(purpose) == FeeFree }

// PriceItem is a catalogue item with the version in force now.
type PriceItem struct {
	ID          int64  `json:"id"`
	Service     string `json:"service"`
	ProductID   int64  `json:"product_id,omitempty"`
	ProductName string `json:"product_name,omitempty"`
	Name        string `json:"name"`
	Class       string `json:"class"`
	Unit        string `json:"unit"`
	Purpose     string `json:"purpose"`
	Free        bool   `json:"free"` // priced 0 by rule (NPRC.1)
	// The version in force: the cap, the operator's price and the trial.
	Version    int       `json:"version"`
	CapFen     int64     `json:"cap_fen"`
	PriceFen   int64     `json:"price_fen"`
	PriceSet   bool      `json:"price_set"` // false until the operator sets one: nothing is charged
	TrialUntil string    `json:"trial_until,omitempty"`
	Trial      bool      `json:"trial"` // the trial date is today or later
	From       time.Time `json:"from"`
	CapBy      string    `json:"cap_by"`
	PriceBy    string    `json:"price_by,omitempty"`
	Note       string    `json:"note,omitempty"`
}

// PriceVersion is one version of an item: what applied from From to To.
type PriceVersion struct {
	Version  int        `json:"version"`
	CapFen   int64      `json:"cap_fen"`
	PriceFen int64      `json:"price_fen"`
	PriceSet bool       `json:"price_set"`
	From     time.Time  `json:"from"`
	To       *time.Time `json:"to,omitempty"`
	By       string     `json:"by"`
	Reason   string     `json:"reason"`
}

// Charge line statuses.
const (
	ChargeOpen     = "open"     // charged, its month not yet issued
	ChargeBilled   = "billed"   // on a statement: an open line of an issued month (derived, never stored)
	ChargeDisputed = "disputed" // the merchant disputes it
	ChargeWaived   = "waived"   // a dispute upheld: not owed
	ChargeFree     = "free"     // metered, 0 by rule (public purpose) or not charged (suspension)
)

// Charge is one line: what was used, when, at which price version.
type Charge struct {
	ID          int64     `json:"id"`
	OrgID       int64     `json:"org_id"`
	StatementID int64     `json:"statement_id,omitempty"`
	ItemID      int64     `json:"item_id"`
	ItemName    string    `json:"item_name"`
	Unit        string    `json:"unit"`
	Version     int       `json:"version"`
	Source      string    `json:"source"` // workspace_query, product_delivery, api_call
	SourceID    int64     `json:"source_id"`
	WorkspaceID int64     `json:"workspace_id,omitempty"`
	ProductID   int64     `json:"product_id,omitempty"`
	Quantity    int64     `json:"quantity"`
	PriceFen    int64     `json:"price_fen"`
	AmountFen   int64     `json:"amount_fen"`
	Status      string    `json:"status"`
	Note        string    `json:"note,omitempty"` // why free, the dispute's reason, its resolution
	At          time.Time `json:"at"`
}

// Statement is a merchant's monthly statement (对账单).
type Statement struct {
	ID           int64     `json:"id"`
	OrgID        int64     `json:"org_id"`
	OrgName      string    `json:"org_name"`
	Period       Period    `json:"period"`
	Lines        int       `json:"lines"`
	GrossFen     int64     `json:"gross_fen"`     // sum of the lines owed
	WaivedFen    int64     `json:"waived_fen"`    // lines waived after a dispute
	DeductionFen int64     `json:"deduction_fen"` // the previous year's excess, carried (NPRC.5)
	TotalFen     int64     `json:"total_fen"`     // gross − deduction
	Disputes     int       `json:"disputes"`      // open disputes
	IssuedAt     time.Time `json:"issued_at"`
}

// StatementDetail is a statement with its lines.
type StatementDetail struct {
	Statement
	Charges []Charge `json:"charges"`
}

// Dispute outcomes.
const (
	DisputeUphold = "uphold" // the line is waived
	DisputeReject = "reject" // the line stands
)

// ShareInput is a revenue-sharing rule the authority approves (R25.1: who
// invests, who contributes, who benefits): the city's and the contributing
// departments' shares of the year's net revenue in basis points; the
// operator keeps the rest. The departments' pool is split by the lineage of
// each charged line (the departments whose entries it was built from).
type ShareInput struct {
	Year   int    `json:"year"`
	CityBP int64  `json:"city_bp"`
	DeptBP int64  `json:"dept_bp"`
	Note   string `json:"note"`
}

// Validate the rule.
func (s *ShareInput) Validate() error {
	s.Note = strings.TrimSpace(s.Note)
	var fe []FieldError
	if s.Year < 2000 || s.Year > 2100 {
		fe = append(fe, FieldError{Field: "year", Message: "年度无效"})
	}
	if s.CityBP < 0 || s.DeptBP < 0 || s.CityBP+s.DeptBP > 10000 {
		fe = append(fe, FieldError{Field: "city_bp", Message: "市级和部门分成比例须非负且合计不超过 100%"})
	}
	if len(fe) > 0 {
		return Errorf(EINVALID, "分配规则有误 (invalid sharing rule)").WithDetails(fe)
	}
	return nil
}

// Share is an approved sharing rule, one version of a year.
type Share struct {
	ID      int64 `json:"id"`
	Version int   `json:"version"`
	ShareInput
	OperatorBP int64     `json:"operator_bp"`
	ApprovedBy string    `json:"approved_by"`
	ApprovedAt time.Time `json:"approved_at"`
}

// Distribution parties.
const (
	PartyCity     = "city"
	PartyDept     = "dept"
	PartyOperator = "operator"
)

// DistributionLine is one party's share.
type DistributionLine struct {
	Party     string `json:"party"`
	OrgID     int64  `json:"org_id,omitempty"`
	OrgName   string `json:"org_name"`
	WeightFen int64  `json:"weight_fen"` // the lineage weight (departments): charged fen traced to its entries
	AmountFen int64  `json:"amount_fen"`
}

// Distribution is the yearly distribution statement.
type Distribution struct {
	ID           int64              `json:"id"`
	Year         int                `json:"year"`
	ShareVersion int                `json:"share_version"`
	BaseFen      int64              `json:"base_fen"` // net revenue of the year
	Lines        []DistributionLine `json:"lines"`
	CreatedBy    string             `json:"created_by"`
	CreatedAt    time.Time          `json:"created_at"`
}

// YearClose is a year's revenue against its maximum (NPRC.5): the excess
// becomes deductions in the next year's statements.
type YearClose struct {
	Year          int       `json:"year"`
	RevenueFen    int64     `json:"revenue_fen"`
	MaxRevenueFen int64     `json:"max_revenue_fen"`
	ExcessFen     int64     `json:"excess_fen"`
	ClosedBy      string    `json:"closed_by"`
	ClosedAt      time.Time `json:"closed_at"`
}

// unitLabels are the units' Chinese names.
var unitLabels = map[string]string{UnitDelivery: "次交付", UnitCall: "次调用", UnitQuery: "次查询", UnitCPUHour: "CPU核时",
	UnitRows: "万行", UnitMonth: "月", UnitProduct: "件"}

// UnitLabel is the Chinese name of a charging unit.
func UnitLabel(u string) string {
	if l, ok := unitLabels[u]; ok {
		return l
	}
	return u
}

// QuantityText writes a quantity in its priced unit: CPU microseconds as
// hours, rows as ten-thousands (four decimals at most, exact).
func QuantityText(unit string, q int64) string {
	div := UnitDivisor(unit)
	if div == 1 {
		return fmt.Sprint(q)
	}
	whole, frac := q/div, q%div
	if frac == 0 {
		return fmt.Sprint(whole)
	}
	// Four decimals, rounded half up; exact enough to read, the amount is computed from q.
	f := (frac*10000 + div/2) / div
	if f == 10000 {
		return fmt.Sprint(whole + 1)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%04d", whole, f), "0")
}

var chargeStatusLabels = map[string]string{ChargeOpen: "待出账", ChargeBilled: "已出账", ChargeDisputed: "异议中",
	ChargeWaived: "已减免", ChargeFree: "免费"}

// ChargeStatusLabel is the Chinese name of a line's status.
func ChargeStatusLabel(s string) string {
	if l, ok := chargeStatusLabels[s]; ok {
		return l
	}
	return s
}
