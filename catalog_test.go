package shuyu

import (
	"testing"
)

func catalogTestRevision() CatalogRevision {
	return CatalogRevision{
		Name: "人口基础信息", Summary: "户籍人口基础信息", Grade: GradeImportant, OpenAttr: OpenConditional,
		AuthMode: AuthScenario, UpdateFreq: FreqDaily,
		Fields: []CatalogField{
			{Name: "id_number", Label: "公民身份号码", DataType: "string", SensitivePI: true, Grade: GradeImportant},
			{Name: "name", Label: "姓名", DataType: "string", PI: true, Grade: GradeGeneral},
		},
	}
}

func catalogFieldsOf(err error) map[string]bool {
	out := map[string]bool{}
	if d, ok := ErrorDetails(err).([]FieldError); ok {
		for _, f := range d {
			out[f.Field] = true
		}
	}
	return out
}

func TestCatalog_R8_2_ValidateListsEveryProblem(t *testing.T) {
	r := catalogTestRevision()
	r.Normalize()
	if err := r.Validate(); err != nil {
		t.Fatalf("valid revision refused: %v", err)
	}
	if !r.Fields[0].PI {
		t.Fatal("sensitive PI not marked as PI")
	}
	bad := CatalogRevision{Name: "x", Grade: "secret", OpenAttr: "open", AuthMode: "all", UpdateFreq: "hourly"}
	err := bad.Validate()
	if ErrorCode(err) != EINVALID {
		t.Fatalf("code %q", ErrorCode(err))
	}
	got := catalogFieldsOf(err)
	for _, f := range []string{"name", "summary", "grade", "open_attr", "auth_mode", "update_freq", "fields"} {
		if !got[f] {
			t.Errorf("no problem reported for %s: %v", f, got)
		}
	}
}

func TestCatalog_R8_3_FieldsAndGrades(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(r *CatalogRevision)
		field string
	}{
		{"duplicate field", func(r *CatalogRevision) { r.Fields[1].Name = "ID_NUMBER" }, "fields[1].name"},
		{"bad field name", func(r *CatalogRevision) { r.Fields[1].Name = "姓名" }, "fields[1].name"},
		{"bad type", func(r *CatalogRevision) { r.Fields[1].DataType = "blob" }, "fields[1].data_type"},
		{"field stricter than entry", func(r *CatalogRevision) { r.Grade = GradeGeneral; r.GradeLevel = 2 }, "fields[0].grade"},
		{"level on important", func(r *CatalogRevision) { r.GradeLevel = 1 }, "grade_level"},
		{"level out of range", func(r *CatalogRevision) {
			r.Grade, r.GradeLevel = GradeGeneral, MaxGeneralLevel+1
			r.Fields[0].Grade = GradeGeneral
		}, "grade_level"},
		{"R4.3 public source with sensitive PI", func(r *CatalogRevision) {
			r.PublicSource, r.Grade = true, GradeGeneral
			r.Fields[0].Grade = GradeGeneral
		}, "fields[0].sensitive_pi"},
		{"R4.3 public source important", func(r *CatalogRevision) { r.PublicSource = true }, "public_source"},
	}
	for _, c := range cases {
		r := catalogTestRevision()
		c.edit(&r)
		r.Normalize()
		err := r.Validate()
		if !catalogFieldsOf(err)[c.field] {
			t.Errorf("%s: want a problem on %s, got %v", c.name, c.field, err)
		}
	}
}

func TestCatalog_R8_4_FlowTable(t *testing.T) {
	cases := []struct {
		step   CatalogStep
		from   RevisionStatus
		region string
		act    Action
		to     RevisionStatus
		code   string
	}{
		{StepSubmit, StatusDraft, RegionZhongwei, ActCatalogSubmit, StatusCityReview, ""},
		{StepSubmit, StatusDraft, RegionHaiyuan, ActCatalogSubmit, StatusCountyReview, ""},
		{StepSubmit, StatusReturned, RegionShapotou, ActCatalogSubmit, StatusCountyReview, ""},
		{StepSubmit, StatusCityReview, RegionZhongwei, "", "", ECONFLICT},
		{StepApproveCounty, StatusCountyReview, RegionHaiyuan, ActCatalogReviewCounty, StatusCityReview, ""},
		{StepReturnCounty, StatusCountyReview, RegionHaiyuan, ActCatalogReviewCounty, StatusReturned, ""},
		{StepApproveCity, StatusCityReview, RegionHaiyuan, ActCatalogReviewCity, StatusApproved, ""},
		{StepApproveCity, StatusCountyReview, RegionHaiyuan, "", "", ECONFLICT},
		{StepReturnCity, StatusCityReview, RegionZhongwei, ActCatalogReviewCity, StatusReturned, ""},
		{StepPublish, StatusApproved, RegionZhongwei, ActCatalogPublish, StatusPublished, ""},
		{StepPublish, StatusCityReview, RegionZhongwei, "", "", ECONFLICT},
		{StepPublish, StatusPublished, RegionZhongwei, "", "", ECONFLICT},
		{"delete", StatusDraft, RegionZhongwei, "", "", EINVALID},
	}
	for _, c := range cases {
		act, to, _, err := CatalogNext(c.step, c.from, c.region)
		if ErrorCode(err) != c.code || act != c.act || to != c.to {
			t.Errorf("%s from %s (%s): got %s %s %v", c.step, c.from, c.region, act, to, err)
		}
		if err != nil && ErrorMessage(err) == "" {
			t.Errorf("%s: error without message", c.step)
		}
	}
}

// The policy, enumerated: who may do what to a county department's entry.
func TestCatalog_R8_4_Policy(t *testing.T) {
	haiyuanDept := &Actor{UserID: 1, Roles: []Role{RoleDept}, OrgID: 10, Region: RegionHaiyuan}
	otherDept := &Actor{UserID: 2, Roles: []Role{RoleDept}, OrgID: 11, Region: RegionZhongwei}
	haiyuan := &Actor{UserID: 3, Roles: []Role{RoleCountyAuthority}, OrgID: 20, Region: RegionHaiyuan}
	shapotou := &Actor{UserID: 4, Roles: []Role{RoleCountyAuthority}, OrgID: 21, Region: RegionShapotou}
	city := &Actor{UserID: 5, Roles: []Role{RoleAuthority}, OrgID: 30, Region: RegionZhongwei}
	op := &Actor{UserID: 6, Roles: []Role{RoleOperatorAdmin}, OrgID: 40, Region: RegionZhongwei}
	merchant := &Actor{UserID: 7, Roles: []Role{RoleMerchant}, OrgID: 50, Region: RegionShapotou}
	res := Resource{Kind: "catalog_revision", OrgID: 10, Region: RegionHaiyuan, Exists: true}
	cases := []struct {
		a    *Actor
		act  Action
		code string
	}{
		{haiyuanDept, ActCatalogUpdate, ""},
		{haiyuanDept, ActCatalogSubmit, ""},
		{haiyuanDept, ActCatalogReviewCounty, EFORBIDDEN},
		{otherDept, ActCatalogSubmit, ENOTFOUND},
		{otherDept, ActCatalogWorkRead, ENOTFOUND},
		{haiyuan, ActCatalogReviewCounty, ""},
		{haiyuan, ActCatalogReviewCity, EFORBIDDEN},
		{shapotou, ActCatalogReviewCounty, ENOTFOUND},
		{city, ActCatalogReviewCity, ""},
		{city, ActCatalogPublish, ""},
		{op, ActCatalogPublish, ""},
		{op, ActCatalogReviewCity, EFORBIDDEN},
		{merchant, ActCatalogWorkRead, ENOTFOUND},
		{merchant, ActCatalogRead, ""},
		{nil, ActCatalogRead, EUNAUTHORIZED},
	}
	for i, c := range cases {
		if got := ErrorCode(Authorize(c.a, c.act, res)); got != c.code {
			t.Errorf("case %d %s: %q, want %q", i, c.act, got, c.code)
		}
	}
	if !Can(merchant, ActDemandCreate, Resource{Kind: "demand"}) || Can(merchant, ActDemandRoute, Resource{Kind: "demand"}) {
		t.Error("merchant demand rights wrong")
	}
	if !Can(city, ActCategoryManage, Resource{Kind: "category"}) || Can(op, ActCategoryManage, Resource{Kind: "category"}) {
		t.Error("category management rights wrong")
	}
}

func TestCatalog_R9_1_Diff(t *testing.T) {
	a := catalogTestRevision()
	b := catalogTestRevision()
	b.Fields = append([]CatalogField(nil), a.Fields...)
	b.Summary = "更新后的摘要"
	b.Fields[1].Label = "姓名（中文）"
	b.Fields = append(b.Fields, CatalogField{Name: "phone", Label: "手机号码", DataType: "string", PI: true, Grade: GradeGeneral})
	b.Fields = b.Fields[1:]
	got := DiffRevisions(&a, &b)
	want := []CatalogChange{
		{Kind: "changed", Attr: "summary", Old: "户籍人口基础信息", New: "更新后的摘要"},
		{Kind: "field_changed", Field: "name", Attr: "label", Old: "姓名", New: "姓名（中文）"},
		{Kind: "field_added", Field: "phone", New: "手机号码"},
		{Kind: "field_removed", Field: "id_number", Old: "公民身份号码"},
	}
	if len(got) != len(want) {
		t.Fatalf("diff %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("diff[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if len(DiffRevisions(&a, &a)) != 0 {
		t.Error("diff of a revision with itself is not empty")
	}
}

func TestCatalog_R9_1_DemandMoves(t *testing.T) {
	if !DemandCanMove(DemandOpen, DemandRouted) || DemandCanMove(DemandOpen, DemandFulfilled) ||
		DemandCanMove(DemandFulfilled, DemandRejected) || !DemandCanMove(DemandRouted, DemandRouted) {
		t.Fatal("demand moves wrong")
	}
}
