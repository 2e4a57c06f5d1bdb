package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// County is one county-level division of Zhongwei (中卫市, 640500).
type County struct {
	Code      string
	Name      string
	Share     float64 // share of the city's population
	HuiShare  float64 // share of Hui (回族) residents
	Townships []Township
	seats     weighted // townships weighted by population
}

// Township is a real township (乡镇) of Zhongwei; Urban marks the county
// seats, whose residents mostly hold urban (城镇) household registration.
type Township struct {
	Name   string
	Weight float64
	Urban  bool
}

func county(code, name string, share, hui float64, ts ...Township) County {
	c := County{Code: code, Name: name, Share: share, HuiShare: hui, Townships: ts}
	var spec []string
	for _, t := range ts {
		spec = append(spec, fmt.Sprintf("%s:%g", t.Name, t.Weight))
	}
	c.seats = newWeighted(strings.Join(spec, " "))
	return c
}

func tw(name string, w float64) Township   { return Township{Name: name, Weight: w} }
func seat(name string, w float64) Township { return Township{Name: name, Weight: w, Urban: true} }

// Counties are Zhongwei's three county-level divisions with their real
// townships; shares follow the brief (沙坡头区 ~40%, 中宁县 ~35%, 海原县 ~25%)
// and Haiyuan is majority Hui.
var Counties = []County{
	county("640502", "沙坡头区", 0.40, 0.10,
		seat("滨河镇", 22), seat("文昌镇", 20), tw("东园镇", 6), tw("柔远镇", 6), tw("镇罗镇", 7),
		tw("宣和镇", 8), tw("永康镇", 7), tw("常乐镇", 6), tw("迎水桥镇", 7), tw("兴仁镇", 6), tw("香山乡", 3)),
	county("640521", "中宁县", 0.35, 0.05,
		seat("宁安镇", 28), tw("鸣沙镇", 9), tw("石空镇", 10), tw("新堡镇", 7), tw("恩和镇", 7), tw("大战场镇", 9),
		tw("舟塔乡", 6), tw("白马乡", 6), tw("余丁乡", 5), tw("喊叫水乡", 4), tw("徐套乡", 3)),
	county("640522", "海原县", 0.25, 0.72,
		seat("海城镇", 20), tw("李旺镇", 7), tw("西安镇", 7), tw("七营镇", 7), tw("三河镇", 7), tw("史店乡", 5),
		tw("树台乡", 5), tw("关桥乡", 5), tw("贾塘乡", 5), tw("郑旗乡", 5), tw("九彩乡", 4), tw("李俊乡", 4),
		tw("红羊乡", 4), tw("关庄乡", 4), tw("曹洼乡", 4), tw("甘城乡", 3)),
}

// CityCode is Zhongwei's prefecture code.
const CityCode = "640500"

var countyPick = newWeighted("0:0.40 1:0.35 2:0.25")

func (c County) township(r *rand.Rand) Township { return c.Townships[c.seats.pickAt(r.Float64())] }

// Parts of made-up village, street and estate names.
var (
	villageHead = []string{"东", "西", "南", "北", "新", "红", "黄", "沙", "永", "高", "双", "团结", "胜利", "光明", "丰收",
		"和平", "金", "银", "杨", "马", "张", "李", "王", "石", "河", "泉", "柳", "枣", "草", "营"}
	villageTail = []string{"庄", "湾", "滩", "井", "沟", "堡", "渠", "台", "园", "川", "塬", "洼", "口", "寨", "坪"}
	streetHead  = []string{"鼓楼", "应理", "平安", "中山", "长城", "沙坡头", "黄河", "宁钢", "文萃", "迎宾", "新华", "团结",
		"育才", "枸杞", "南关", "北关", "西园", "东环", "红宝", "康宁", "北门", "怀远", "丰安", "清水河"}
	streetTail = []string{"东路", "西路", "南路", "北路", "大道", "街", "巷"}
	estates    = []string{"丽景", "锦绣", "御园", "阳光", "金岸", "翡翠", "书香", "富康", "兴安", "滨河", "盛世", "怡和"}
)

// genAddress draws a made-up but plausibly shaped address inside a real
// township: a street, estate, building and flat in seats, a village, group
// and house number elsewhere.
func genAddress(r *rand.Rand, c County, t Township, urban bool) string {
	var b strings.Builder
	b.WriteString("宁夏回族自治区中卫市")
	b.WriteString(c.Name)
	b.WriteString(t.Name)
	if urban {
		b.WriteString(streetHead[r.IntN(len(streetHead))])
		b.WriteString(streetTail[r.IntN(len(streetTail))])
		fmt.Fprintf(&b, "%d号%s小区%d号楼%d单元%d%02d室", 1+r.IntN(300), estates[r.IntN(len(estates))],
			1+r.IntN(30), 1+r.IntN(4), 1+r.IntN(18), 1+r.IntN(4))
		return b.String()
	}
	b.WriteString(villageHead[r.IntN(len(villageHead))])
	b.WriteString(villageTail[r.IntN(len(villageTail))])
	fmt.Fprintf(&b, "村%d组%d号", 1+r.IntN(12), 1+r.IntN(120))
	return b.String()
}

// Hospital is a medical institution that settles with medical insurance.
type Hospital struct {
	Name   string
	County string // county code
	Level  int    // 3 tertiary, 2 secondary, 1 township health centre
}

// Hospitals are Zhongwei's main hospitals plus the township health centres.
var Hospitals = func() []Hospital {
	hs := []Hospital{
		{"中卫市人民医院", "640502", 3}, {"中卫市中医医院", "640502", 2}, {"中卫市妇幼保健院", "640502", 2},
		{"中宁县人民医院", "640521", 2}, {"中宁县中医医院", "640521", 2},
		{"海原县人民医院", "640522", 2}, {"海原县中医医院", "640522", 2},
	}
	for _, c := range Counties {
		for _, t := range c.Townships {
			if !t.Urban {
				hs = append(hs, Hospital{t.Name + "卫生院", c.Code, 1})
			}
		}
	}
	return hs
}()

// BusLine is an urban bus line of Shapotou; Fare in yuan for ordinary cards.
type BusLine struct {
	Name  string
	Fare  float64
	Stops []string
}

// BusLines are made-up Shapotou urban lines (中卫 runs numbered lines "1路"…);
// the scenic line to 沙坡头 costs more.
var BusLines = func() []BusLine {
	stops := []string{"火车站", "市人民医院", "鼓楼", "中卫中学", "市政府", "沙坡头区政府", "万达广场", "长途汽车站",
		"应理南街", "平安东路口", "文萃苑", "东园镇", "柔远镇", "宁钢", "市中医医院", "迎水桥", "沙坡头景区",
		"美利工业园", "职业技术学院", "体育馆", "高庙", "滨河镇政府", "黄河宫", "西园", "城北新区"}
	var ls []BusLine
	for i := 1; i <= 12; i++ {
		fare := 1.0
		if i == 12 {
			fare = 2.0
		}
		var st []string
		for j := 0; j < 10; j++ {
			st = append(st, stops[(i*7+j*3)%len(stops)])
		}
		ls = append(ls, BusLine{Name: fmt.Sprintf("%d路", i), Fare: fare, Stops: st})
	}
	ls[11].Stops[9] = "沙坡头景区"
	return ls
}()

// Industry is a section (门类) of GB/T 4754-2017.
type Industry struct {
	Code, Name string
	words      []string // business words used in company names
}

// Industries are the 20 sections A–T of GB/T 4754-2017.
var Industries = []Industry{
	{"A", "农、林、牧、渔业", []string{"农业科技", "枸杞种植", "养殖", "农牧", "生态农业"}},
	{"B", "采矿业", []string{"矿业", "砂石"}},
	{"C", "制造业", []string{"枸杞制品", "食品", "建材", "机械制造", "新材料", "造纸"}},
	{"D", "电力、热力、燃气及水生产和供应业", []string{"新能源", "光伏发电", "风力发电", "热力", "燃气"}},
	{"E", "建筑业", []string{"建筑工程", "建设工程", "装饰工程", "路桥工程"}},
	{"F", "批发和零售业", []string{"商贸", "贸易", "百货", "农资", "医药连锁"}},
	{"G", "交通运输、仓储和邮政业", []string{"物流", "运输", "仓储", "快递"}},
	{"H", "住宿和餐饮业", []string{"餐饮管理", "酒店管理", "宾馆", "农家乐"}},
	{"I", "信息传输、软件和信息技术服务业", []string{"云计算", "数据科技", "信息技术", "网络科技", "软件"}},
	{"J", "金融业", []string{"小额贷款", "融资担保"}},
	{"K", "房地产业", []string{"房地产开发", "物业管理", "置业"}},
	{"L", "租赁和商务服务业", []string{"商务咨询", "劳务派遣", "广告", "租赁"}},
	{"M", "科学研究和技术服务业", []string{"工程设计", "检测", "技术服务"}},
	{"N", "水利、环境和公共设施管理业", []string{"环保科技", "园林绿化", "水务"}},
	{"O", "居民服务、修理和其他服务业", []string{"家政服务", "汽车维修", "美容美发"}},
	{"P", "教育", []string{"教育咨询", "职业培训"}},
	{"Q", "卫生和社会工作", []string{"健康管理", "养老服务", "诊所"}},
	{"R", "文化、体育和娱乐业", []string{"旅游开发", "文化传媒", "体育发展"}},
	{"S", "公共管理、社会保障和社会组织", []string{"社会服务"}},
	{"T", "国际组织", []string{"国际交流"}},
}

// industryPick weights sections by their rough share of a county registry;
// Zhongwei's data-centre and energy industries are overrepresented.
var industryPick = newWeighted(`0:10 1:1 2:8 3:4 4:8 5:30 6:5 7:8 8:4 9:0.5 10:2 11:10 12:4 13:1 14:5 15:1 16:1 17:2 18:0.3 19:0.01`)

// ICDChapters are the 21 chapters of ICD-10 (Chinese edition), weighted by
// their rough share of outpatient visits.
var ICDChapters = newWeighted(`某些传染病和寄生虫病:3 肿瘤:4 血液及造血器官疾病和某些涉及免疫机制的疾患:1
内分泌、营养和代谢疾病:8 精神和行为障碍:2 神经系统疾病:4 眼和附器疾病:4 耳和乳突疾病:1 循环系统疾病:16
呼吸系统疾病:18 消化系统疾病:11 皮肤和皮下组织疾病:3 肌肉骨骼系统和结缔组织疾病:8 泌尿生殖系统疾病:5
妊娠、分娩和产褥期:2 起源于围生期的某些情况:0.3 先天性畸形、变形和染色体异常:0.3 症状、体征和临床与实验室异常所见:4
损伤、中毒和外因的某些其他后果:4 疾病和死亡的外因:0.4 影响健康状态和与保健机构接触的因素:2`)
