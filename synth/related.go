package synth

import (
	"iter"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Datasets that refer to people draw them from persons 0..n-1 of the same
// seed (n being the related dataset's own row count), so a population table
// of at least n rows with the same seed and date joins every row.

// yuan formats an amount held in fen (cents) as yuan with two decimals.
func yuan(fen int64) string {
	s := strconv.FormatInt(fen/100, 10) + "."
	c := fen % 100
	return s + string([]byte{byte('0' + c/10), byte('0' + c%10)})
}

func toFen(x float64) int64 { return int64(math.Round(x * 100)) }

// insuranceCategory decides how person p is insured; stable across months
// because it uses the person's own stream.
func insuranceCategory(seed uint64, p Person) (cat string, base int64) {
	r := rowRand(seed, streamInsurance, -1-p.Index)
	retire := 60
	if !p.Male {
		retire = 55
	}
	x := r.Float64()
	working := p.Age >= 18 && p.Age < retire
	switch {
	case working && p.Urban && x < 0.45, working && !p.Urban && x < 0.12:
		cat = "职工"
	case working && p.Urban && x < 0.65, working && !p.Urban && x < 0.2:
		cat = "灵活就业"
	default:
		return "城乡居民", 0
	}
	// R6.1 realism: contribution bases sit between Ningxia's floor and cap.
	wage := math.Exp(math.Log(5200) + 0.35*r.NormFloat64())
	wage = math.Min(math.Max(wage, 4014), 20070)
	return cat, toFen(math.Round(wage))
}

type rate struct {
	typ                string
	personal, employer float64
}

var (
	employeeRates = []rate{{"养老", 0.08, 0.16}, {"医疗", 0.02, 0.065}, {"失业", 0.005, 0.005}, {"工伤", 0, 0.006}}
	flexibleRates = []rate{{"养老", 0.20, 0}, {"医疗", 0.065, 0}}
)

// residentPremium is the yearly individual premium of 城乡居民医保, in fen.
const residentPremium = 40000

func insuranceRows(seed uint64, n int, now time.Time) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		row := make([]string, 0, 8)
		emitted := 0
		t0 := today(now)
		last := time.Date(t0.Year(), t0.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		// Each pass adds one more year of history for the same people; every
		// person yields at least one row per pass, so passes always progress.
		for pass := 0; emitted < n; pass++ {
			for j := 0; j < n && emitted < n; j++ {
				p := PersonAt(seed, j, now)
				cat, base := insuranceCategory(seed, p)
				employer := ""
				rates := flexibleRates
				if cat == "职工" {
					if e, ok := employerOf(seed, j, now); ok {
						employer, rates = e.USCC, employeeRates
					}
				}
				for m := 11; m >= 0 && emitted < n; m-- {
					month := last.AddDate(0, -(12*pass + m), 0)
					if cat == "城乡居民" {
						if month.Month() != time.October {
							continue
						}
						row = append(row[:0], p.IDNumber, month.Format("2006-01"), cat, "医疗", "0.00",
							yuan(residentPremium), "0.00", "")
						emitted++
						if !yield(row) {
							return
						}
						continue
					}
					for _, rt := range rates {
						if emitted >= n {
							break
						}
						row = append(row[:0], p.IDNumber, month.Format("2006-01"), cat, rt.typ, yuan(base),
							yuan(toFen(float64(base)*rt.personal/100)), yuan(toFen(float64(base)*rt.employer/100)), employer)
						emitted++
						if !yield(row) {
							return
						}
					}
				}
			}
		}
	}
}

// pickPatient draws a person of [0,n) with the elderly and infants more
// likely, as in real outpatient traffic.
func pickPatient(r *rand.Rand, seed uint64, n int, now time.Time) Person {
	for {
		p := PersonAt(seed, r.IntN(n), now)
		w := 0.35
		switch {
		case p.Age < 5 || (p.Age >= 45 && p.Age < 65):
			w = 0.6
		case p.Age >= 65:
			w = 1
		}
		if r.Float64() < w {
			return p
		}
	}
}

func medicalRows(seed uint64, n int, now time.Time) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		row := make([]string, 0, 9)
		t0 := today(now)
		for i := 0; i < n; i++ {
			r := rowRand(seed, streamMedical, i)
			p := pickPatient(r, seed, n, now)
			inpatient := r.Float64() < 0.08+float64(p.Age)/600
			h := hospitalFor(r, p, inpatient)
			visit := t0.AddDate(0, 0, -1-r.IntN(365))
			diag := diagnosisFor(r, p)
			var total, deductible, ratio float64
			if inpatient {
				total = math.Exp(math.Log(6000) + 0.6*r.NormFloat64())
				deductible, ratio = [...]float64{0, 300, 500, 800}[h.Level], [...]float64{0, 0.85, 0.75, 0.65}[h.Level]
				total *= [...]float64{0, 0.6, 1, 1.6}[h.Level]
			} else {
				total = math.Exp(math.Log(110) + 0.8*r.NormFloat64())
				ratio = 0.5
			}
			totalFen := toFen(total)
			fundFen := toFen(math.Max(0, total-deductible) * ratio)
			// The three amounts are consistent to the fen: self = total - fund.
			row = append(row[:0], settlementID(seed, i, visit), p.IDNumber, h.Name, visit.Format(time.DateOnly),
				visitType(inpatient), diag, yuan(totalFen), yuan(fundFen),
				yuan(totalFen-fundFen))
			if !yield(row) {
				return
			}
		}
	}
}

func visitType(inpatient bool) string {
	if inpatient {
		return "住院"
	}
	return "门诊"
}

func settlementID(seed uint64, i int, visit time.Time) string {
	const space = 100_000_000
	key := splitmix(seed ^ 0x5e771e)
	mul := key%space | 1
	if mul%5 == 0 {
		mul += 2
	}
	sub := strconv.FormatUint((uint64(i)*mul+(key>>32)%space)%space+space, 10)[1:]
	return "YB" + CityCode + visit.Format("20060102") + sub
}

func hospitalFor(r *rand.Rand, p Person, inpatient bool) Hospital {
	if !inpatient && r.Float64() < 0.55 {
		for _, h := range Hospitals {
			if h.Name == p.Township+"卫生院" {
				return h
			}
		}
	}
	if r.Float64() < 0.3 {
		return Hospitals[0] // 中卫市人民医院 takes referrals from the whole city
	}
	var own []Hospital
	for _, h := range Hospitals {
		if h.County == p.County.Code && h.Level >= 2 {
			own = append(own, h)
		}
	}
	return own[r.IntN(len(own))]
}

func diagnosisFor(r *rand.Rand, p Person) string {
	for {
		d := ICDChapters.pick(r)
		switch {
		case d == "妊娠、分娩和产褥期" && (p.Male || p.Age < 18 || p.Age > 45):
			continue
		case d == "起源于围生期的某些情况" && p.Age > 0:
			continue
		}
		return d
	}
}

var rideHours = newWeighted("6:2 7:9 8:8 9:5 10:4 11:5 12:5 13:4 14:4 15:4 16:5 17:9 18:8 19:5 20:3 21:1")
var lineLoad = newWeighted("0:10 1:9 2:8 3:7 4:6 5:6 6:5 7:5 8:4 9:3 10:3 11:2")

func busRows(seed uint64, n int, now time.Time) iter.Seq[[]string] {
	return func(yield func([]string) bool) {
		row := make([]string, 0, 6)
		t0 := today(now)
		cards := max(1, n/30) // about thirty rides a card
		for i := 0; i < n; i++ {
			r := rowRand(seed, streamBus, i)
			j := r.IntN(cards)
			p := PersonAt(seed, j, now)
			line := BusLines[lineLoad.pickAt(r.Float64())]
			typ, mult := "普通", 1.0
			switch {
			case p.Age >= 60:
				typ, mult = "老年", 0 // R6.1 realism: seniors ride free in Zhongwei's demo tariff
			case p.Age >= 6 && p.Age < 19:
				typ, mult = "学生", 0.5
			}
			h, _ := strconv.Atoi(rideHours.pick(r))
			at := t0.AddDate(0, 0, -1-r.IntN(30)).Add(time.Duration(h)*time.Hour +
				time.Duration(r.IntN(3600))*time.Second - 8*time.Hour)
			row = append(row[:0], cardID(seed, j), line.Name, line.Stops[r.IntN(len(line.Stops))],
				at.In(cst).Format(time.DateTime), yuan(toFen(line.Fare*mult)), typ)
			if !yield(row) {
				return
			}
		}
	}
}

// cardID numbers a transit card as a bijection of its holder's index.
func cardID(seed uint64, j int) string {
	const space = 10_000_000_000
	key := splitmix(seed ^ 0xca7d)
	mul := key%space | 1
	if mul%5 == 0 {
		mul += 2
	}
	return "6405" + strconv.FormatUint((uint64(j)*mul+(key>>32)%space)%space+space, 10)[1:]
}
