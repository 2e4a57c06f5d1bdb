package shuyu

import "time"

// OrgKind is the kind of a party named in the measures (Art. 3, 5, 6, 7, 30).
type OrgKind string

const (
	OrgAuthority       OrgKind = "authority"        // 市数据局, the city authority
	OrgCountyAuthority OrgKind = "county_authority" // 县(区)数据局
	OrgSourceDept      OrgKind = "source_dept"      // 数源部门 (city or county)
	OrgOperator        OrgKind = "operator"         // 运营机构; also hosts the platform's 三员 administrators
	OrgMerchant        OrgKind = "merchant"         // 数据商
	OrgExpertCommittee OrgKind = "expert_committee" // 专家委员会 (R7.1)
	OrgRegulator       OrgKind = "regulator"        // 网信、公安、国家安全、保密 (R30.1)
	OrgServiceProvider OrgKind = "service_provider" // 第三方专业服务机构 (R6.3)
)

// OrgKinds lists every kind, in display order.
var OrgKinds = []OrgKind{OrgAuthority, OrgCountyAuthority, OrgSourceDept, OrgOperator,
	OrgMerchant, OrgExpertCommittee, OrgRegulator, OrgServiceProvider}

// Valid reports whether k is a known kind.
func (k OrgKind) Valid() bool {
	for _, v := range OrgKinds {
		if v == k {
			return true
		}
	}
	return false
}

// Region codes (GB/T 2260) of the first deployment. Another city configures
// its own through the organizations it creates; nothing below depends on
// these values except the demo.
const (
	RegionZhongwei  = "640500" // 中卫市
	RegionShapotou  = "640502" // 沙坡头区
	RegionZhongning = "640521" // 中宁县
	RegionHaiyuan   = "640522" // 海原县
)

// Org is an organization. Region is the administrative area it belongs to:
// the city code for city-level bodies, a county code for county bodies, so
// a county department belongs to its county (R8.4).
type Org struct {
	ID        int64     `json:"id"`
	Kind      OrgKind   `json:"kind"`
	Name      string    `json:"name"`
	NameEN    string    `json:"name_en,omitempty"`
	Code      string    `json:"code,omitempty"` // unified social credit code or internal code
	Region    string    `json:"region"`
	Status    string    `json:"status"` // active, disabled
	CreatedAt time.Time `json:"created_at"`
}

// IsCounty reports whether region is a county-level code (not a prefecture
// code ending in "00").
func IsCounty(region string) bool {
	return len(region) == 6 && region[4:] != "00"
}

// CityOf returns the prefecture-level code of a county or city code.
func CityOf(region string) string {
	if len(region) != 6 {
		return region
	}
	return region[:4] + "00"
}

// Validate checks an organization before it is stored.
func (o *Org) Validate() error {
	var errs []FieldError
	if !o.Kind.Valid() {
		errs = append(errs, FieldError{"kind", "机构类型无效"})
	}
	if n := len([]rune(o.Name)); n < 2 || n > 100 {
		errs = append(errs, FieldError{"name", "机构名称须为 2 至 100 个字符"})
	}
	if !validRegion(o.Region) {
		errs = append(errs, FieldError{"region", "行政区划代码须为 6 位数字"})
	}
	if o.Kind == OrgCountyAuthority && !IsCounty(o.Region) {
		errs = append(errs, FieldError{"region", "县(区)数据局的行政区划须为县级代码"})
	}
	if o.Kind == OrgAuthority && IsCounty(o.Region) {
		errs = append(errs, FieldError{"region", "市数据局的行政区划须为市级代码"})
	}
	if len(errs) > 0 {
		return Errorf(EINVALID, "机构信息不完整或有误").WithDetails(errs)
	}
	return nil
}

func validRegion(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
