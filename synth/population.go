package synth

import (
	"math/rand/v2"
	"strconv"
	"time"

	"shuyu/ident"
)

// Person is one synthetic resident of Zhongwei. PersonAt(seed, i, now) always
// returns the same person, so datasets that refer to people (social
// insurance, medical settlement, bus cards) join with the population table.
type Person struct {
	Index     int
	IDNumber  string // 公民身份号码: county code, birth date, sequence, GB 11643 check
	Name      string
	Male      bool
	Birth     time.Time // midnight UTC of the birth date
	Age       int       // whole years on now's date
	Ethnicity string
	County    County
	Township  string
	Address   string
	Phone     string // "" for young children and some of the very old
	Urban     bool   // 城镇 household registration, else 农村
}

// ID numbers are unique by construction rather than by a lookup table, so
// that person i needs nothing but (seed, i): i = q*idSeqSlots + k; k picks the
// three-digit sequence (through a permutation), q a stratum of [0,1) through
// a per-k permutation, and a point inside the stratum is mapped by inverse CDF
// to (county, sex, birth date). Two people with the same k sit in different
// strata kept 2*idMargin apart, wider than any (county, sex, day) cell, so
// they differ in county, sex or birth date.
const (
	idSeqSlots = 499 // sequences 001..998 (odd male, even female); 499 is prime
	idStrata   = 4096
	idMargin   = 2e-5 // > the largest cell mass, checked by a test
	// MaxPopulation is the number of distinct people a seed can produce.
	MaxPopulation = idSeqSlots * idStrata
)

const maleShare = 0.51

// pyramid is the share of each five-year age band (0-4 … 95-99), shaped like
// a western Chinese county around the 2020 census: small young cohorts, a
// bulge at 30-59 and a narrow top. Haiyuan, majority Hui with higher
// fertility, is younger.
var (
	pyramid        = newWeighted("0:5.5 1:6.5 2:6.5 3:5.5 4:5 5:6.5 6:8.5 7:7.5 8:6.5 9:8 10:8 11:6.5 12:5 13:4.5 14:3 15:2 16:1.2 17:0.6 18:0.2 19:0.05")
	pyramidHaiyuan = newWeighted("0:7.5 1:8.5 2:8 3:6.5 4:5.5 5:6.5 6:8 7:7 8:6 9:7 10:7 11:5.5 12:4.5 13:3.5 14:2.5 15:1.6 16:1 17:0.5 18:0.2 19:0.05")
)

func pyramidOf(countyIdx int) weighted {
	if countyIdx == 2 {
		return pyramidHaiyuan
	}
	return pyramid
}

// bandDays returns the first age in days of band b and the band's length.
func bandDays(b int) (start, length int) {
	s := int(float64(5*b) * 365.2425)
	e := int(float64(5*b+5) * 365.2425)
	return s, e - s
}

// splitmix is a stateless mixer used to derive permutation keys.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Streams keep the random draws of each dataset independent.
const (
	streamPerson uint64 = iota + 1
	streamEnterprise
	streamInsurance
	streamMedical
	streamBus
	streamTwin
)

func rowRand(seed, stream uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(seed^stream*0x9e3779b97f4a7c15), uint64(i)))
}

// today is now's calendar date at midnight UTC in China Standard Time.
func today(now time.Time) time.Time {
	y, m, d := now.In(cst).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var cst = time.FixedZone("CST", 8*3600)

// personCell maps u in [0,1) to county index, sex and age in days.
func personCell(u float64) (countyIdx int, male bool, ageDays int) {
	countyIdx = countyPick.pickAt(u)
	lo := 0.0
	if countyIdx > 0 {
		lo = countyPick.cum[countyIdx-1] / countyPick.cum[2]
	}
	u = (u - lo) / countyPick.share(countyIdx)
	if u < maleShare {
		male, u = true, u/maleShare
	} else {
		u = (u - maleShare) / (1 - maleShare)
	}
	p := pyramidOf(countyIdx)
	b := p.pickAt(u)
	blo := 0.0
	if b > 0 {
		blo = p.cum[b-1] / p.cum[len(p.cum)-1]
	}
	u = (u - blo) / p.share(b)
	start, n := bandDays(b)
	off := int(u * float64(n))
	if off >= n {
		off = n - 1
	}
	return countyIdx, male, start + off
}

// PersonAt returns person i (0 <= i < MaxPopulation) of the seed's
// population, as of now's date.
func PersonAt(seed uint64, i int, now time.Time) Person {
	q, k := i/idSeqSlots, i%idSeqSlots
	key := splitmix(seed ^ 0x5eed1d)
	seqMul := 1 + key%(idSeqSlots-1)
	seqIdx := (uint64(k)*seqMul + (key>>20)%idSeqSlots) % idSeqSlots
	sk := splitmix(key + uint64(k))
	stratum := (uint64(q)*(sk|1) + sk>>32) % idStrata

	r := rowRand(seed, streamPerson, i)
	u := (float64(stratum) + (idMargin+r.Float64()*(1/float64(idStrata)-2*idMargin))*idStrata) / idStrata
	ci, male, ageDays := personCell(u)

	p := Person{Index: i, Male: male, County: Counties[ci]}
	t0 := today(now)
	p.Birth = t0.AddDate(0, 0, -ageDays)
	p.Age = yearsBetween(p.Birth, t0)
	seq := 2*int(seqIdx) + 2
	if male {
		seq--
	}
	p.IDNumber = citizenID(p.County.Code, p.Birth, seq)

	hui := r.Float64() < p.County.HuiShare
	switch {
	case hui:
		p.Ethnicity = "回族"
	case r.Float64() < 0.006:
		p.Ethnicity = [...]string{"满族", "蒙古族", "东乡族", "土族"}[r.IntN(4)]
	default:
		p.Ethnicity = "汉族"
	}
	p.Name = genName(r, male, hui, p.Birth.Year())
	t := p.County.township(r)
	p.Township = t.Name
	if t.Urban {
		p.Urban = r.Float64() < 0.75
	} else {
		p.Urban = r.Float64() < 0.1
	}
	p.Address = genAddress(r, p.County, t, t.Urban && r.Float64() < 0.85)
	if hasPhone(r, p.Age) {
		p.Phone = mobileFor(r, seed, i)
	}
	return p
}

func hasPhone(r *rand.Rand, age int) bool {
	switch {
	case age < 12:
		return false
	case age < 16:
		return r.Float64() < 0.5
	case age >= 80:
		return r.Float64() < 0.55
	default:
		return r.Float64() < 0.97
	}
}

var mobilePrefixes = newWeighted(`134:4 135:6 136:3 137:3 138:6 139:8 150:4 151:4 152:3 157:2 158:3 159:3 182:3
183:2 187:4 188:2 198:3 130:3 131:2 132:2 155:4 156:2 185:2 186:3 166:1 133:3 153:2 180:3 181:2 189:4 199:2 177:1`)

// mobileFor draws a carrier prefix and makes the eight subscriber digits a
// bijection of i, so that no two people share a number.
func mobileFor(r *rand.Rand, seed uint64, i int) string {
	const space = 100_000_000
	key := splitmix(seed ^ 0xfee1)
	mul := key%space | 1
	if mul%5 == 0 {
		mul += 2 // coprime with 10, so i -> i*mul+c mod 10^8 is a bijection
	}
	sub := (uint64(i)*mul + (key>>32)%space) % space
	b := make([]byte, 0, 11)
	b = append(b, mobilePrefixes.pick(r)...)
	s := strconv.FormatUint(sub+space, 10) // leading 1 keeps the zero padding
	return string(append(b, s[1:]...))
}

func citizenID(region string, birth time.Time, seq int) string {
	b := make([]byte, 0, 18)
	b = append(b, region...)
	b = birth.AppendFormat(b, "20060102")
	b = append(b, byte('0'+seq/100), byte('0'+seq/10%10), byte('0'+seq%10))
	c, err := ident.CitizenIDCheckChar(string(b))
	if err != nil {
		panic("synth: bad ID body " + string(b)) // our construction is all digits
	}
	return string(append(b, c))
}

func yearsBetween(from, to time.Time) int {
	y := to.Year() - from.Year()
	if to.Month() < from.Month() || (to.Month() == from.Month() && to.Day() < from.Day()) {
		y--
	}
	return y
}

func (p Person) gender() string {
	if p.Male {
		return "男"
	}
	return "女"
}

func (p Person) householdType() string {
	if p.Urban {
		return "城镇"
	}
	return "农村"
}

func populationRow(p Person, row []string) []string {
	return append(row[:0], p.IDNumber, p.Name, p.gender(), p.Ethnicity, p.Birth.Format(time.DateOnly),
		p.County.Code, p.County.Name, p.Township, p.Address, p.Phone, p.householdType())
}
