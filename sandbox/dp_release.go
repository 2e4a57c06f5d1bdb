package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/google/differential-privacy/go/v3/noise"

	"shuyu"
)

// runDP answers an aggregate in DP mode: check the budget, compute bounded
// statistics, select groups by a noisy person count, add noise, charge the
// budget (R28.3).
func (e *Engine) runDP(ctx context.Context, conn *sql.Conn, ws *Workspace, c *checker, p *plan, res *Result, start time.Time) (*Result, error) {
	const op = "sandbox.runDP"
	set := ws.dpSettings()
	entries, err := e.releaseLog().Load(ctx, ws.ID)
	if err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	if why := dpBudget(ws, set, newHistory(entries).spent); why != nil {
		return e.rejected(res, start, *why), nil // refused before any work
	}
	q, err := dpQuery(ctx, conn, p, set)
	if err != nil {
		return e.failed(res, start, e.engineFailure(op, err))
	}
	res.Shape.SQLHash = digest(q)
	timeout := e.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	qctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cpu0 := cpuTime()
	_, types, raw, err := query(qctx, conn, q)
	res.Metering.CPU = cpuTime() - cpu0
	if err != nil {
		return e.failed(res, start, e.engineFailure(op, err))
	}

	unlock := e.lockWorkspace(ws.ID)
	defer unlock()
	// Again under the lock: a concurrent release may have spent the budget.
	if entries, err = e.releaseLog().Load(ctx, ws.ID); err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	if why := dpBudget(ws, set, newHistory(entries).spent); why != nil {
		return e.rejected(res, start, *why), nil
	}
	rows, _, err := e.dpNoise(ws, set, p, raw)
	if err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	entry := ReleaseEntry{At: e.Now(), SQLHash: res.Shape.SQLHash, Epsilon: set.QueryEpsilon}
	if err := e.releaseLog().Append(ctx, ws.ID, []ReleaseEntry{entry}); err != nil {
		return nil, shuyu.Wrap(op, err)
	}
	res.Status = Released
	res.Rows = rows
	for _, it := range p.dp.items {
		res.Columns = append(res.Columns, it.name)
		typ := "DOUBLE"
		switch it.kind {
		case dpKey:
			typ = types[it.group]
		case dpCount, dpCountCol:
			typ = "BIGINT"
		}
		res.Shape.Columns = append(res.Shape.Columns, ShapeColumn{Name: it.name, Type: typ})
	}
	res.Shape.Rows = len(rows)
	res.Metering.RowsReturned = int64(len(rows))
	res.Metering.Wall = time.Since(start)
	spent := newHistory(entries).spent + set.QueryEpsilon
	res.Reasons = append(res.Reasons, Reason{"dp_noise", fmt.Sprintf(
		"差分隐私模式：结果已加入拉普拉斯噪声，本次消耗隐私预算 ε=%.3g，累计 %.3g / %.3g ",
		set.QueryEpsilon, spent, ws.Epsilon)})
	res.Reasons = append(res.Reasons, Reason{"small_cell", "加噪人数低于发布门槛的分组不显示"})
	return res, nil
}

// dpBudget refuses a release the remaining budget cannot pay for.
func dpBudget(ws *Workspace, set DPSettings, spent float64) *Reason {
	const slack = 1e-9 // float sums of equal shares must not refuse the last one
	if spent+set.QueryEpsilon <= ws.Epsilon+slack {
		return nil
	}
	return &Reason{"dp_budget", fmt.Sprintf(
		"差分隐私预算已用完：总预算 ε=%.3g，已使用 %.3g，本次查询需要 %.3g，无法再发布结果 (privacy budget exhausted)",
		ws.Epsilon, spent, set.QueryEpsilon)}
}

// dpNoise turns bounded statistics into released rows. raw rows are: group
// keys, units, then per item its sums (avg: sum and count).
func (e *Engine) dpNoise(ws *Workspace, set DPSettings, p *plan, raw [][]any) ([][]any, int, error) {
	nz := e.Noise
	if nz == nil {
		nz = noise.Laplace()
	}
	l0, rows := int64(set.MaxGroups), float64(set.MaxRows)
	if p.person == nil { // each row is its own unit
		l0, rows = 1, 1
	}
	eps := set.QueryEpsilon / float64(p.dp.draws+1) // equal shares: selection and each draw
	threshold, err := nz.Threshold(l0, 1, eps, 0, set.Delta)
	if err != nil {
		return nil, 0, err
	}
	threshold = math.Max(threshold, float64(ws.k()))
	nk := len(p.groups)
	var out [][]any
	dropped := 0
	for _, r := range raw {
		units, _ := toFloat(r[nk])
		noisy, err := nz.AddNoiseInt64(int64(units), l0, 1, eps, 0)
		if err != nil {
			return nil, 0, err
		}
		if float64(noisy) < threshold {
			dropped++
			continue
		}
		row := make([]any, len(p.dp.items))
		col := nk + 1
		for i, it := range p.dp.items {
			switch it.kind {
			case dpKey:
				row[i] = r[it.group]
			case dpCount, dpCountCol:
				v, _ := toFloat(r[col])
				col++
				n, err := nz.AddNoiseInt64(int64(v), l0, int64(rows), eps, 0)
				if err != nil {
					return nil, 0, err
				}
				row[i] = max(n, 0)
			case dpSum, dpAvg:
				sens := rows * math.Max(math.Abs(it.bounds.Lower), math.Abs(it.bounds.Upper))
				v, _ := toFloat(r[col])
				col++
				sum, err := nz.AddNoiseFloat64(v, l0, math.Max(sens, 1e-12), eps, 0)
				if err != nil {
					return nil, 0, err
				}
				row[i] = sum
				if it.kind == dpAvg {
					n, _ := toFloat(r[col])
					col++
					cnt, err := nz.AddNoiseFloat64(n, l0, rows, eps, 0)
					if err != nil {
						return nil, 0, err
					}
					// The mean of clamped values lies within the bounds.
					row[i] = math.Min(math.Max(sum/math.Max(cnt, 1), it.bounds.Lower), it.bounds.Upper)
				}
			}
		}
		out = append(out, row)
	}
	sort.SliceStable(out, func(a, b int) bool { return fmt.Sprint(out[a]...) < fmt.Sprint(out[b]...) })
	if out == nil {
		out = [][]any{}
	}
	return out, dropped, nil
}
