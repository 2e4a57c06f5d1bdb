package demo

// catalogDemo is the demo's catalog: entries as a real bureau would register
// them. Fields are "name:label:type:flags:grade" with flags p (personal
// information), s (sensitive PI), t (trade secret), - (none) and grade c/i/g
// (core, important, general). Entries whose code is in DatasetEntryCodes take
// their fields from synth.Datasets() instead, exactly.
type catalogDemo struct {
	code, dept, name, summary, category string
	grade                               string // c, i, g[1-4]
	open, mode, freq, span, volume      string
	fields                              []string
}

var catalogDemos = []catalogDemo{
	// 中卫市公安局
	{"ZW-GA-0001", "中卫市公安局", "人口基础信息", "全市户籍人口的身份、性别、民族、出生日期、住址和户口性质等基础信息。", "0401", "i", "conditional", "scenario", "daily", "2000年至今", "约120万条", nil},
	{"ZW-GA-0002", "中卫市公安局", "机动车登记信息", "全市登记机动车的号牌、车辆类型、使用性质、登记日期和检验有效期。", "0601", "i", "conditional", "domain", "daily", "2005年至今", "约35万条",
		[]string{"plate_no:号牌号码:string:p:i", "vehicle_type:车辆类型:string:-:g", "use_nature:使用性质:string:-:g", "owner_id_number:所有人身份号码:string:s:i", "register_date:初次登记日期:date:-:g", "inspection_valid_until:检验有效期止:date:-:g", "fuel_type:燃料种类:string:-:g"}},
	{"ZW-GA-0003", "中卫市公安局", "机动车驾驶人信息", "驾驶证准驾车型、初领日期、记分周期与状态。", "0401", "i", "conditional", "scenario", "daily", "2005年至今", "约52万条",
		[]string{"id_number:公民身份号码:string:s:i", "license_class:准驾车型:string:-:g", "first_issue_date:初次领证日期:date:p:g", "score:累积记分:integer:p:g", "status:驾驶证状态:string:-:g"}},
	{"ZW-GA-0004", "中卫市公安局", "道路交通事故统计", "按月、按县区、按事故形态统计的道路交通事故起数和伤亡人数（汇总数据）。", "06", "g2", "unconditional", "whole", "monthly", "2015年至今", "约3600条",
		[]string{"month:统计月份:month:-:g", "county_code:县区代码:string:-:g", "accident_type:事故形态:string:-:g", "accidents:事故起数:integer:-:g", "deaths:死亡人数:integer:-:g", "injuries:受伤人数:integer:-:g"}},
	{"ZW-GA-0005", "中卫市公安局", "出入境证件办理统计", "普通护照、往来港澳台通行证按月办理数量统计。", "04", "g1", "unconditional", "whole", "monthly", "2018年至今", "约500条",
		[]string{"month:统计月份:month:-:g", "document_type:证件类型:string:-:g", "applications:受理数:integer:-:g", "issued:签发数:integer:-:g"}},
	// 中卫市人力资源和社会保障局
	{"ZW-RS-0001", "中卫市人力资源和社会保障局", "社会保险缴费", "职工养老、医疗、失业、工伤保险按月缴费明细，含缴费基数与单位、个人缴费额。", "0301", "i", "conditional", "scenario", "monthly", "2012年至今", "约2400万条", nil},
	{"ZW-RS-0002", "中卫市人力资源和社会保障局", "就业登记信息", "城镇新增就业、灵活就业登记及用工单位信息。", "0302", "i", "conditional", "scenario", "daily", "2016年至今", "约28万条",
		[]string{"id_number:公民身份号码:string:s:i", "employment_type:就业形式:string:-:g", "employer_uscc:用工单位统一社会信用代码:string:-:g", "industry:行业:string:-:g", "register_date:登记日期:date:p:g"}},
	{"ZW-RS-0003", "中卫市人力资源和社会保障局", "职业技能等级证书", "职业技能等级认定证书的职业（工种）、等级、发证日期。", "0302", "g2", "conditional", "domain", "weekly", "2019年至今", "约6万条",
		[]string{"certificate_no:证书编号:string:p:g", "name:姓名:string:p:g", "occupation:职业（工种）:string:-:g", "level:技能等级:string:-:g", "issue_date:发证日期:date:-:g"}},
	{"ZW-RS-0004", "中卫市人力资源和社会保障局", "用人单位参保信息", "参保单位名称、参保险种、参保人数与缴费状态。", "0301", "g3", "conditional", "domain", "monthly", "2012年至今", "约1.8万条",
		[]string{"uscc:统一社会信用代码:string:-:g", "name:单位名称:string:-:g", "insurance_type:参保险种:string:-:g", "insured_count:参保人数:integer:t:g", "arrears:欠费状态:string:t:g"}},
	{"ZW-RS-0005", "中卫市人力资源和社会保障局", "失业保险金发放", "失业保险金按月发放人次与金额，按县区汇总。", "0301", "g1", "unconditional", "whole", "monthly", "2016年至今", "约800条",
		[]string{"month:发放月份:month:-:g", "county_code:县区代码:string:-:g", "recipients:领取人次:integer:-:g", "amount:发放金额（元）:decimal:-:g"}},
	// 中卫市市场监督管理局
	{"ZW-SC-0001", "中卫市市场监督管理局", "企业登记信息", "市场主体登记信息：统一社会信用代码、名称、法定代表人、行业、注册资本、成立日期、登记状态。", "1501", "g2", "conditional", "whole", "daily", "1990年至今", "约2万条", nil},
	{"ZW-SC-0002", "中卫市市场监督管理局", "个体工商户登记信息", "个体工商户名称、经营者、经营范围、经营场所与登记状态。", "1501", "g3", "conditional", "whole", "daily", "2000年至今", "约6.5万条",
		[]string{"reg_no:注册号:string:-:g", "name:名称:string:-:g", "operator_name:经营者姓名:string:p:g", "business_scope:经营范围:string:-:g", "address:经营场所:string:-:g", "status:登记状态:string:-:g"}},
	{"ZW-SC-0003", "中卫市市场监督管理局", "行政处罚信息", "市场监管领域行政处罚决定书文号、违法行为类型、处罚种类与决定日期（依法公示）。", "01", "g1", "unconditional", "whole", "daily", "2014年至今", "约9000条",
		[]string{"decision_no:决定书文号:string:-:g", "party_name:当事人名称:string:-:g", "uscc:统一社会信用代码:string:-:g", "violation:违法行为类型:string:-:g", "penalty:处罚种类:string:-:g", "decision_date:处罚决定日期:date:-:g"}},
	{"ZW-SC-0004", "中卫市市场监督管理局", "食品经营许可信息", "食品经营许可证编号、经营项目、有效期。", "15", "g1", "unconditional", "whole", "daily", "2016年至今", "约1.2万条",
		[]string{"license_no:许可证编号:string:-:g", "operator:经营者名称:string:-:g", "items:经营项目:string:-:g", "valid_until:有效期至:date:-:g"}},
	{"ZW-SC-0005", "中卫市市场监督管理局", "特种设备登记信息", "电梯、锅炉、压力容器等特种设备使用登记与定期检验信息。", "14", "g3", "conditional", "domain", "weekly", "2010年至今", "约8000条",
		[]string{"device_code:设备代码:string:-:g", "device_type:设备种类:string:-:g", "user_unit:使用单位:string:-:g", "address:使用地点:string:-:g", "next_inspection:下次检验日期:date:-:g"}},
	// 中卫市卫生健康委员会
	{"ZW-WJ-0001", "中卫市卫生健康委员会", "医疗机构执业登记", "医疗机构名称、类别、级别、床位数与诊疗科目。", "0201", "g1", "unconditional", "whole", "monthly", "2005年至今", "约1100条",
		[]string{"org_code:机构代码:string:-:g", "name:机构名称:string:-:g", "category:机构类别:string:-:g", "level:机构级别:string:-:g", "beds:核定床位:integer:-:g", "departments:诊疗科目:string:-:g"}},
	{"ZW-WJ-0002", "中卫市卫生健康委员会", "出生医学证明信息", "新生儿出生医学证明签发信息。", "0201", "i", "conditional", "scenario", "daily", "2012年至今", "约16万条",
		[]string{"cert_no:出生医学证明编号:string:p:i", "baby_name:新生儿姓名:string:p:g", "gender:性别:string:p:g", "birth_time:出生时间:datetime:s:i", "mother_id_number:母亲身份号码:string:s:i", "hospital:接生机构:string:-:g"}},
	{"ZW-WJ-0003", "中卫市卫生健康委员会", "医师执业注册信息", "医师执业类别、执业范围与执业地点。", "0201", "g2", "conditional", "domain", "weekly", "2008年至今", "约5200条",
		[]string{"cert_no:执业证书编码:string:p:g", "name:姓名:string:p:g", "practice_type:执业类别:string:-:g", "practice_scope:执业范围:string:-:g", "workplace:主要执业机构:string:-:g"}},
	{"ZW-WJ-0004", "中卫市卫生健康委员会", "法定传染病统计", "法定报告传染病按月、按病种、按县区的发病数（汇总，不含个案）。", "0203", "i", "conditional", "scenario", "monthly", "2010年至今", "约1.5万条",
		[]string{"month:统计月份:month:-:g", "county_code:县区代码:string:-:g", "disease:病种:string:-:i", "cases:发病数:integer:-:i", "deaths:死亡数:integer:-:i"}},
	// 中卫市医疗保障局
	{"ZW-YB-0001", "中卫市医疗保障局", "医保结算", "医疗保障基金结算明细：定点医疗机构、就诊日期与类型、诊断类别、总费用、基金支付与个人自付。", "0202", "i", "conditional", "scenario", "daily", "2018年至今", "约900万条", nil},
	{"ZW-YB-0002", "中卫市医疗保障局", "定点医药机构信息", "医保定点医疗机构和定点零售药店名录。", "0202", "g1", "unconditional", "whole", "monthly", "2018年至今", "约900条",
		[]string{"org_code:定点机构编码:string:-:g", "name:机构名称:string:-:g", "org_type:机构类型:string:-:g", "county_code:县区代码:string:-:g", "address:地址:string:-:g"}},
	{"ZW-YB-0003", "中卫市医疗保障局", "基本医疗保险参保信息", "职工医保、城乡居民医保参保状态与参保类别。", "0202", "i", "conditional", "scenario", "daily", "2018年至今", "约110万条",
		[]string{"id_number:公民身份号码:string:s:i", "insurance_category:参保类别:string:-:g", "status:参保状态:string:p:g", "start_date:参保日期:date:p:g"}},
	{"ZW-YB-0004", "中卫市医疗保障局", "医保药品目录执行信息", "本地执行的医保药品目录及支付类别。", "0202", "g1", "unconditional", "whole", "yearly", "2020年至今", "约3000条",
		[]string{"drug_code:药品编码:string:-:g", "drug_name:药品名称:string:-:g", "dosage_form:剂型:string:-:g", "payment_class:甲乙类:string:-:g"}},
	// 中卫市自然资源局
	{"ZW-ZR-0001", "中卫市自然资源局", "不动产登记信息", "不动产单元号、坐落、用途、面积、权利类型与登记时间。", "0501", "i", "conditional", "scenario", "daily", "2016年至今", "约42万条",
		[]string{"unit_no:不动产单元号:string:-:g", "location:坐落:string:p:g", "usage:用途:string:-:g", "area:面积（平方米）:decimal:-:g", "right_type:权利类型:string:-:g", "holder_id_number:权利人证件号码:string:s:i", "register_date:登记时间:date:-:g"}},
	{"ZW-ZR-0002", "中卫市自然资源局", "国有建设用地供应信息", "国有建设用地出让、划拨的宗地位置、面积、用途与成交价格（依法公开）。", "0501", "g1", "unconditional", "whole", "monthly", "2010年至今", "约2600条",
		[]string{"parcel_no:宗地编号:string:-:g", "location:宗地位置:string:-:g", "area:面积（公顷）:decimal:-:g", "usage:土地用途:string:-:g", "supply_way:供应方式:string:-:g", "price:成交价格（万元）:decimal:-:g"}},
	{"ZW-ZR-0003", "中卫市自然资源局", "土地利用现状", "按乡镇统计的耕地、园地、林地、草地、建设用地面积。", "20", "g2", "conditional", "domain", "yearly", "2019年至今", "约300条",
		[]string{"year:年度:integer:-:g", "township:乡镇:string:-:g", "land_class:地类:string:-:g", "area:面积（公顷）:decimal:-:g"}},
	{"ZW-ZR-0004", "中卫市自然资源局", "地质灾害隐患点", "地质灾害隐患点位置、类型、威胁人数与防治责任人。", "14", "i", "conditional", "scenario", "quarterly", "2012年至今", "约400条",
		[]string{"point_id:隐患点编号:string:-:g", "hazard_type:灾害类型:string:-:g", "longitude:经度:decimal:-:i", "latitude:纬度:decimal:-:i", "threatened:威胁人数:integer:-:g", "responsible_phone:责任人电话:string:p:g"}},
	// 中卫市交通运输局
	{"ZW-JT-0001", "中卫市交通运输局", "公交刷卡", "城市公交 IC 卡刷卡记录：卡号、线路、上车站点、刷卡时间、票价、卡类型。", "0601", "i", "conditional", "scenario", "daily", "2020年至今", "约6000万条", nil},
	{"ZW-JT-0002", "中卫市交通运输局", "公交线路站点信息", "城市公交线路走向、站点名称与经纬度、首末班时间。", "0601", "g1", "unconditional", "whole", "monthly", "2020年至今", "约1500条",
		[]string{"line:线路:string:-:g", "stop_seq:站序:integer:-:g", "stop_name:站点名称:string:-:g", "longitude:经度:decimal:-:g", "latitude:纬度:decimal:-:g", "first_bus:首班时间:string:-:g", "last_bus:末班时间:string:-:g"}},
	{"ZW-JT-0003", "中卫市交通运输局", "道路运输经营许可", "道路旅客、货物运输经营许可证与经营范围。", "06", "g2", "conditional", "domain", "weekly", "2012年至今", "约4200条",
		[]string{"license_no:许可证号:string:-:g", "operator:业户名称:string:-:g", "scope:经营范围:string:-:g", "vehicles:车辆数:integer:t:g", "valid_until:有效期至:date:-:g"}},
	{"ZW-JT-0004", "中卫市交通运输局", "出租汽车运营数据", "巡游出租车按日营运里程、载客次数（脱敏，按车辆汇总）。", "0601", "g3", "conditional", "scenario", "daily", "2021年至今", "约80万条",
		[]string{"vehicle_hash:车辆标识（脱敏）:string:-:g", "date:营运日期:date:-:g", "trips:载客次数:integer:t:g", "mileage:营运里程（公里）:decimal:t:g"}},
	// 中卫市民政局
	{"ZW-MZ-0001", "中卫市民政局", "婚姻登记信息", "结婚、离婚登记当事人与登记日期。", "16", "i", "conditional", "scenario", "daily", "2008年至今", "约21万条",
		[]string{"cert_no:证书字号:string:p:i", "party1_id_number:当事人一身份号码:string:s:i", "party2_id_number:当事人二身份号码:string:s:i", "register_type:登记类型:string:s:i", "register_date:登记日期:date:p:g"}},
	{"ZW-MZ-0002", "中卫市民政局", "最低生活保障对象", "城乡低保对象家庭人数、保障金额与所在乡镇。", "16", "i", "conditional", "scenario", "monthly", "2015年至今", "约3.6万条",
		[]string{"id_number:户主身份号码:string:s:i", "family_size:家庭人数:integer:p:g", "monthly_amount:月保障金额（元）:decimal:s:i", "township:乡镇:string:-:g"}},
	{"ZW-MZ-0003", "中卫市民政局", "养老机构信息", "养老机构名称、床位数、收住人数与服务类型。", "18", "g1", "unconditional", "whole", "quarterly", "2016年至今", "约120条",
		[]string{"name:机构名称:string:-:g", "address:地址:string:-:g", "beds:床位数:integer:-:g", "residents:收住人数:integer:-:g", "service_type:服务类型:string:-:g"}},
	{"ZW-MZ-0004", "中卫市民政局", "社会组织登记信息", "社会团体、民办非企业单位、基金会登记信息（依法公开）。", "21", "g1", "unconditional", "whole", "monthly", "2000年至今", "约1300条",
		[]string{"uscc:统一社会信用代码:string:-:g", "name:名称:string:-:g", "org_type:类型:string:-:g", "legal_rep:法定代表人:string:p:g", "register_date:成立登记日期:date:-:g"}},
	// 沙坡头区教育局
	{"SPT-JY-0001", "沙坡头区教育局", "中小学校名录", "区属中小学校名称、学段、地址与在校生规模。", "07", "g1", "unconditional", "whole", "yearly", "2015年至今", "约90条",
		[]string{"school_code:学校标识码:string:-:g", "name:学校名称:string:-:g", "stage:学段:string:-:g", "address:地址:string:-:g", "students:在校生数:integer:-:g"}},
	{"SPT-JY-0002", "沙坡头区教育局", "学生学籍信息", "中小学生学籍号、学校、年级与入学日期。", "07", "i", "conditional", "scenario", "daily", "2015年至今", "约6.2万条",
		[]string{"student_no:全国学籍号:string:s:i", "school_code:学校标识码:string:-:g", "grade_year:年级:string:p:g", "enroll_date:入学日期:date:p:g"}},
	{"SPT-JY-0003", "沙坡头区教育局", "教师资格认定信息", "教师资格种类、任教学科与认定日期。", "07", "g2", "conditional", "domain", "monthly", "2016年至今", "约4500条",
		[]string{"cert_no:资格证书号码:string:p:g", "name:姓名:string:p:g", "cert_type:资格种类:string:-:g", "subject:任教学科:string:-:g", "issue_date:认定日期:date:-:g"}},
	// 中宁县农业农村局
	{"ZN-NY-0001", "中宁县农业农村局", "枸杞种植基地信息", "中宁枸杞种植基地位置、面积、品种与经营主体。", "11", "g2", "conditional", "domain", "yearly", "2018年至今", "约2100条",
		[]string{"base_id:基地编号:string:-:g", "township:乡镇:string:-:g", "area_mu:面积（亩）:decimal:-:g", "variety:品种:string:-:g", "operator_uscc:经营主体代码:string:-:g", "yield_kg:上年产量（公斤）:decimal:t:g"}},
	{"ZN-NY-0002", "中宁县农业农村局", "新型农业经营主体", "家庭农场、农民合作社名录与经营规模。", "11", "g1", "unconditional", "whole", "quarterly", "2016年至今", "约1600条",
		[]string{"uscc:统一社会信用代码:string:-:g", "name:名称:string:-:g", "subject_type:主体类型:string:-:g", "scale_mu:经营规模（亩）:decimal:-:g"}},
	{"ZN-NY-0003", "中宁县农业农村局", "农机购置补贴信息", "农机购置补贴的机具品目、补贴额与购机者（依法公示）。", "11", "g2", "conditional", "whole", "monthly", "2017年至今", "约7800条",
		[]string{"buyer_name:购机者姓名:string:p:g", "township:乡镇:string:-:g", "machine_item:机具品目:string:-:g", "subsidy:补贴额（元）:decimal:-:g", "date:购机日期:date:-:g"}},
	// 海原县卫生健康局
	{"HY-WJ-0001", "海原县卫生健康局", "乡镇卫生院名录", "县内乡镇卫生院、村卫生室名称、地址与床位数。", "0201", "g1", "unconditional", "whole", "yearly", "2015年至今", "约200条",
		[]string{"name:机构名称:string:-:g", "township:乡镇:string:-:g", "address:地址:string:-:g", "beds:床位数:integer:-:g"}},
	{"HY-WJ-0002", "海原县卫生健康局", "家庭医生签约服务", "家庭医生团队签约居民人数与重点人群签约率（按乡镇汇总）。", "0201", "g2", "conditional", "domain", "monthly", "2019年至今", "约1800条",
		[]string{"month:统计月份:month:-:g", "township:乡镇:string:-:g", "team:签约团队:string:-:g", "signed:签约人数:integer:-:g", "key_group_rate:重点人群签约率:decimal:-:g"}},
	{"HY-WJ-0003", "海原县卫生健康局", "居民电子健康档案", "居民电子健康档案基本信息与慢病管理标识。", "0201", "i", "conditional", "scenario", "daily", "2012年至今", "约40万条",
		[]string{"id_number:公民身份号码:string:s:i", "name:姓名:string:p:g", "township:乡镇:string:-:g", "chronic_flag:慢病管理标识:string:s:i", "last_followup:最近随访日期:date:s:i"}},
}

// catalogInFlow are entries left at earlier stages so every queue has work
// (issue item 7): the step they stop after, and a return reason if any.
var catalogInFlow = []struct {
	catalogDemo
	stage  string // draft, county_review, city_review, returned, approved
	reason string
}{
	{catalogDemo{"ZW-GA-0006", "中卫市公安局", "户籍迁移登记", "户口迁入、迁出登记及迁移原因。", "0401", "i", "conditional", "scenario", "daily", "2010年至今", "约9万条",
		[]string{"id_number:公民身份号码:string:s:i", "move_type:迁移类型:string:p:g", "from_region:迁出地:string:p:g", "to_region:迁入地:string:p:g", "move_date:迁移日期:date:p:g"}}, "draft", ""},
	{catalogDemo{"ZW-SC-0006", "中卫市市场监督管理局", "广告经营登记", "广告发布登记信息。", "15", "g1", "unconditional", "whole", "monthly", "2018年至今", "约300条",
		[]string{"reg_no:登记号:string:-:g", "name:单位名称:string:-:g"}}, "returned", "数据摘要过于简略，请补充登记范围和更新方式"},
	{catalogDemo{"ZW-RS-0006", "中卫市人力资源和社会保障局", "人才引进信息", "高层次人才引进类别、单位与引进日期。", "0302", "g2", "conditional", "domain", "monthly", "2019年至今", "约900条",
		[]string{"name:姓名:string:p:g", "talent_class:人才类别:string:-:g", "employer:引进单位:string:-:g", "date:引进日期:date:-:g"}}, "city_review", ""},
	{catalogDemo{"ZW-WJ-0005", "中卫市卫生健康委员会", "预防接种统计", "免疫规划疫苗按月、按县区接种剂次（汇总）。", "0203", "g2", "conditional", "domain", "monthly", "2016年至今", "约5000条",
		[]string{"month:统计月份:month:-:g", "county_code:县区代码:string:-:g", "vaccine:疫苗:string:-:g", "doses:接种剂次:integer:-:g"}}, "city_review", ""},
	{catalogDemo{"HY-WJ-0004", "海原县卫生健康局", "孕产妇保健管理", "孕产妇建档、产检次数与高危标识。", "0201", "i", "conditional", "scenario", "daily", "2015年至今", "约2.4万条",
		[]string{"id_number:公民身份号码:string:s:i", "filing_date:建档日期:date:s:i", "checkups:产检次数:integer:s:i", "high_risk:高危标识:string:s:i"}}, "county_review", ""},
	{catalogDemo{"SPT-JY-0004", "沙坡头区教育局", "学前教育资助", "学前教育资助对象人数与资助金额（按园汇总）。", "07", "g2", "conditional", "domain", "yearly", "2018年至今", "约600条",
		[]string{"kindergarten:幼儿园:string:-:g", "year:年度:integer:-:g", "children:资助人数:integer:-:g", "amount:资助金额（元）:decimal:-:g"}}, "county_review", ""},
	{catalogDemo{"ZN-NY-0004", "中宁县农业农村局", "农产品质量安全抽检", "农产品质量安全例行监测抽检结果。", "11", "g1", "unconditional", "whole", "quarterly", "2017年至今", "约3500条",
		[]string{"sample_no:样品编号:string:-:g", "product:产品:string:-:g", "township:抽样乡镇:string:-:g", "result:检测结论:string:-:g"}}, "county_review", ""},
	{catalogDemo{"ZW-MZ-0005", "中卫市民政局", "殡葬服务机构", "殡仪馆、公益性公墓名录与服务项目。", "18", "g1", "unconditional", "whole", "yearly", "2016年至今", "约40条",
		[]string{"name:机构名称:string:-:g", "org_type:类型:string:-:g", "address:地址:string:-:g"}}, "approved", ""},
	{catalogDemo{"ZW-ZR-0005", "中卫市自然资源局", "矿业权出让信息", "探矿权、采矿权出让公示信息。", "09", "g1", "unconditional", "whole", "monthly", "2012年至今", "约200条",
		[]string{"right_no:矿业权编号:string:-:g", "mineral:矿种:string:-:g", "area:面积（平方公里）:decimal:-:g", "price:出让收益（万元）:decimal:-:g"}}, "approved", ""},
}
