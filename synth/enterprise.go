package synth

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"shuyu/ident"
)

// Enterprise is one synthetic registered market entity of Zhongwei.
type Enterprise struct {
	Index       int
	USCC        string // 统一社会信用代码, GB 32100 check character
	Name        string
	LegalRep    string
	Industry    Industry
	Capital     float64 // registered capital, 万元
	Established time.Time
	County      County
	Address     string
	Status      string // 存续 / 注销 / 吊销
	Employees   int
}

// EmployerPool is how many leading enterprises of a seed employ the insured
// people of social_insurance: load at least this many enterprise rows with the
// same seed and every employer_uscc joins.
const EmployerPool = 1000

// MaxEnterprises bounds the index so that credit codes stay unique (their
// organization-code bodies are a bijection of the index).
const MaxEnterprises = 100_000_000

var enterpriseCounty = newWeighted("0:0.5 1:0.35 2:0.15")

var tradeNameChars = []rune("沙坡宁安鸣翠泉源丰华兴盛鑫隆泰和瑞祥金银河川塞上明珠星辰云海黄羊湾香山腾格里润博通达宏远恒信" +
	"德康佳美欣荣昌凯旋正大中天永利福顺新汇聚力众诚锦程嘉禾绿洲枸红")

// EnterpriseAt returns enterprise i (0 <= i < MaxEnterprises) of the seed, as
// of now.
func EnterpriseAt(seed uint64, i int, now time.Time) Enterprise {
	r := rowRand(seed, streamEnterprise, i)
	e := Enterprise{Index: i, County: Counties[enterpriseCounty.pickAt(r.Float64())]}
	coop := r.Float64() < 0.08
	if coop {
		e.Industry = Industries[0]
	} else {
		e.Industry = Industries[industryPick.pickAt(r.Float64())]
	}
	e.USCC = usccFor(seed, i, coop, e.County.Code)
	e.Name = enterpriseName(r, e, coop)
	hui := r.Float64() < e.County.HuiShare
	e.LegalRep = genName(r, r.Float64() < 0.78, hui, 1970+r.IntN(30))
	e.Capital = roundCapital(math.Exp(math.Log(100) + 1.4*r.NormFloat64()))
	yearsAgo := math.Min(r.ExpFloat64()*7, 34)
	e.Established = today(now).AddDate(0, 0, -int(yearsAgo*365.2425)-1)
	switch x := r.Float64() * (1 + yearsAgo/10); {
	case x < 0.95:
		e.Status = "存续"
	case x < 1.35:
		e.Status = "注销"
	default:
		e.Status = "吊销"
	}
	if e.Status == "存续" {
		e.Employees = int(math.Round(math.Exp(math.Log(5) + 1.2*r.NormFloat64())))
	}
	t := e.County.township(r)
	e.Address = genAddress(r, e.County, t, t.Urban)
	return e
}

// usccFor builds "9" (market regulation) + "1" enterprise or "3" farmers'
// cooperative + county code + an organization code whose eight-digit body is a
// bijection of i (hence unique) + its GB 11714 check + the GB 32100 check.
func usccFor(seed uint64, i int, coop bool, region string) string {
	const space = 100_000_000
	key := splitmix(seed ^ 0xc0de)
	mul := key%space | 1
	if mul%5 == 0 {
		mul += 2
	}
	body := strconv.FormatUint((uint64(i)*mul+(key>>32)%space)%space+space, 10)[1:]
	kind := "91"
	if coop {
		kind = "93"
	}
	org := body + orgCheckChar(body)
	first17 := kind + region + org
	c, err := ident.USCCCheckChar(first17)
	if err != nil {
		panic("synth: bad USCC body " + first17) // digits only by construction
	}
	return first17 + string(c)
}

// orgCheckChar finds the GB 11714 check character by asking ident which of
// the eleven candidates validates, rather than duplicating its arithmetic.
func orgCheckChar(body string) string {
	for _, c := range "0123456789X" {
		if ident.ValidOrgCode(body + string(c)) {
			return string(c)
		}
	}
	panic("synth: no organization code check character for " + body)
}

func enterpriseName(r *rand.Rand, e Enterprise, coop bool) string {
	var b strings.Builder
	switch x := r.Float64(); {
	case x < 0.1:
		b.WriteString("宁夏")
	case e.County.Code == "640502":
		b.WriteString("中卫市")
	default:
		b.WriteString(e.County.Name)
	}
	b.WriteRune(tradeNameChars[r.IntN(len(tradeNameChars))])
	b.WriteRune(tradeNameChars[r.IntN(len(tradeNameChars))])
	b.WriteString(e.Industry.words[r.IntN(len(e.Industry.words))])
	switch x := r.Float64(); {
	case coop:
		b.WriteString("农民专业合作社")
	case x < 0.7:
		b.WriteString("有限公司")
	case x < 0.95:
		b.WriteString("有限责任公司")
	default:
		b.WriteString("股份有限公司")
	}
	return b.String()
}

// roundCapital rounds to two significant figures, as registered capitals are.
func roundCapital(x float64) float64 {
	if x < 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x))-1)
	return math.Round(x/p) * p
}

func enterpriseRow(e Enterprise, row []string) []string {
	return append(row[:0], e.USCC, e.Name, e.LegalRep, e.Industry.Code, e.Industry.Name,
		strconv.FormatFloat(e.Capital, 'f', 2, 64), e.Established.Format(time.DateOnly), e.County.Code,
		e.Address, e.Status, strconv.Itoa(e.Employees))
}

// employerOf returns the active enterprise among the first EmployerPool that
// employs person p (or an empty Enterprise, ok false, if none is active).
func employerOf(seed uint64, person int, now time.Time) (Enterprise, bool) {
	start := int(splitmix(seed^uint64(person)*0x2545f4914f6cdd1d) % EmployerPool)
	for k := 0; k < EmployerPool; k++ {
		e := EnterpriseAt(seed, (start+k)%EmployerPool, now)
		if e.Status == "存续" {
			return e, true
		}
	}
	return Enterprise{}, false
}
