package synth

import (
	"math/rand/v2"
	"strings"
)

// weighted is a cumulative table for drawing one of several values with
// rough relative frequencies.
type weighted struct {
	vals []string
	cum  []float64 // cumulative weights, last = total
}

func newWeighted(spec string) weighted {
	var w weighted
	total := 0.0
	for _, f := range strings.Fields(spec) {
		name, wt, ok := strings.Cut(f, ":")
		x := 1.0
		if ok {
			x = parseWeight(wt)
		}
		total += x
		w.vals = append(w.vals, name)
		w.cum = append(w.cum, total)
	}
	return w
}

func parseWeight(s string) float64 {
	v, frac, div := 0.0, false, 1.0
	for _, c := range s {
		switch {
		case c == '.':
			frac = true
		case frac:
			div *= 10
			v += float64(c-'0') / div
		default:
			v = v*10 + float64(c-'0')
		}
	}
	return v
}

// pickAt returns the value whose cumulative slot contains u in [0,1).
func (w weighted) pickAt(u float64) int {
	x := u * w.cum[len(w.cum)-1]
	lo, hi := 0, len(w.cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if w.cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func (w weighted) pick(r *rand.Rand) string { return w.vals[w.pickAt(r.Float64())] }

// share returns value i's share of the total weight.
func (w weighted) share(i int) float64 {
	prev := 0.0
	if i > 0 {
		prev = w.cum[i-1]
	}
	return (w.cum[i] - prev) / w.cum[len(w.cum)-1]
}

// hanSurnames: the common Han surnames with rough national frequencies in
// per mille (Ningxia's Han population is close to the national mix).
var hanSurnames = newWeighted(`王:72 李:72 张:69 刘:54 陈:45 杨:31 黄:22 赵:22 吴:20 周:19
徐:15 孙:15 马:15 朱:14 胡:13 郭:12 何:12 高:11 林:11 罗:11 郑:10 梁:10 谢:8 宋:8
唐:7 许:7 韩:7 冯:7 邓:7 曹:7 彭:6 曾:6 肖:6 田:6 董:6 袁:5 潘:5 于:5 蒋:5 蔡:5
余:5 杜:5 叶:5 程:5 苏:4 魏:4 吕:4 丁:4 任:4 沈:4 姚:4 卢:4 姜:4 崔:4 钟:4 谭:3
陆:3 汪:3 范:3 金:3 石:3 廖:3 贾:3 夏:3 韦:3 付:3 方:3 白:3 邹:3 孟:3 熊:3 秦:3
邱:3 江:3 尹:3 薛:3 闫:3 段:3 雷:3 侯:3 龙:2 史:2 陶:2 黎:2 贺:2 顾:2 毛:2 郝:2
龚:2 邵:2 万:2 钱:2 严:2 覃:2 武:2 戴:2 莫:2 孔:2 向:2 汤:2 常:2 温:2 康:2 施:2
文:2 牛:2 樊:2 葛:2 邢:2 安:2 齐:2 易:2 乔:2 伍:2 庞:2 颜:2 倪:2 庄:2 聂:2 章:2
鲁:1 岳:1 翟:1 殷:1 詹:1 申:1 欧阳:0.5 耿:1 关:1 兰:1 焦:1 俞:1 左:1 柳:1 甘:1
祝:1 包:1 宁:1 尚:1 符:1 舒:1 阮:1 柯:1 纪:1 梅:1 童:1 凌:1 毕:1 单:1 季:1 裴:1
霍:1 涂:1 成:1 苗:1 谷:1 盛:1 曲:1 翁:1 冉:1 骆:1 蓝:1 路:1 游:1 辛:1 靳:1 司马:0.2`)

// huiSurnames: surnames of the Hui of Ningxia (Haiyuan county is majority
// Hui); 马 dominates, followed by 杨, 丁, 海, 李, 田, 何, 金 and others.
var huiSurnames = newWeighted(`马:300 杨:70 丁:50 海:35 李:60 田:40 何:35 金:25 王:45 张:35
苏:20 穆:15 拜:12 哈:10 纳:10 米:8 沙:8 白:15 锁:8 冶:6 虎:6 黑:5 妥:5 喜:4 答:3 铁:4
洪:5 撒:4 韩:15 刘:15 冯:8 姬:4 鲜:3 买:3 者:3 摆:4 罗:8 周:6`)

var maleGiven = []string{"伟", "强", "军", "勇", "杰", "涛", "明", "超", "斌", "鹏", "辉", "刚", "磊", "峰", "浩",
	"宇", "俊", "文", "华", "建", "国", "平", "志", "海", "东", "林", "龙", "春", "波", "亮", "成", "福", "生", "忠",
	"学", "武", "兵", "军", "宏", "德", "鑫", "博", "轩", "晨", "睿", "泽", "航", "子", "天", "一", "嘉", "佳", "毅",
	"飞", "斌", "永", "贵", "虎", "山", "祥", "瑞", "彬", "凯", "锋", "顺", "义", "仁", "智", "卫", "红", "新", "金"}

var femaleGiven = []string{"芳", "娟", "敏", "静", "丽", "艳", "霞", "燕", "玲", "红", "梅", "琴", "兰", "英", "秀",
	"慧", "婷", "雪", "洁", "萍", "娜", "倩", "颖", "琳", "悦", "欣", "怡", "晶", "莉", "佳", "花", "凤", "桂", "珍",
	"玉", "翠", "春", "月", "云", "小", "雅", "涵", "诗", "梓", "萱", "思", "雨", "可", "馨", "瑶", "彤", "蕾", "丹",
	"晓", "亚", "美", "淑", "菊", "香", "莲", "琦", "璐", "妍", "宁", "文", "霖", "娇", "蓉"}

// genName draws a Chinese name: Hui people take Hui surnames, others the
// national mix.
func genName(r *rand.Rand, male, hui bool, birthYear int) string {
	if hui {
		return huiSurnames.pick(r) + givenName(r, male, birthYear)
	}
	return hanSurnames.pick(r) + givenName(r, male, birthYear)
}

// givenName has one or two characters; two is commoner among the young.
func givenName(r *rand.Rand, male bool, birthYear int) string {
	pool := femaleGiven
	if male {
		pool = maleGiven
	}
	twoChars := 0.55
	if birthYear >= 1990 {
		twoChars = 0.8
	}
	first := pool[r.IntN(len(pool))]
	if r.Float64() < twoChars {
		return first + pool[r.IntN(len(pool))]
	}
	return first
}

// surnameOf splits a name's surname, knowing the compound surnames in use.
func surnameOf(name string) string {
	for _, c := range []string{"欧阳", "司马", "上官", "诸葛"} {
		if strings.HasPrefix(name, c) {
			return c
		}
	}
	for _, r := range name {
		return string(r)
	}
	return ""
}
