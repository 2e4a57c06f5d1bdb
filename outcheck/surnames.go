package outcheck

// About 400 common Han surnames (together well over 95 % of the population),
// the surnames of Ningxia's Hui (海 沙 拜 纳 锁 虎 黑 妥 喜 答 铁 洪 撒 者 摆 买;
// Haiyuan is majority Hui) and the compound surnames still met in registers.
// Place names that begin with one (海原县, 宁安镇) end in an administrative
// suffix, which placeSuffix excludes. Characters
// that are far more often the first character of an ordinary word than a
// surname in our data (e.g. 高 in 高中, 金 in 金额, 石 in 石油, 白 in 白天)
// are kept: the scan reports a column only when most of its values look like
// names, so a few ordinary words do not trip it.
const commonSurnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由海沙宁拜纳锁虎黑妥喜答铁洪撒者摆买"

var compoundSurnames = []string{
	"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
	"宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里",
}

// placeSuffix ends place and organisation names (宣和镇, 常乐镇, 王团村), which
// would otherwise look like names.
var placeSuffix = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "省市县区镇乡村街路巷局院所站厂店司部处科校园馆队组社" {
		m[r] = true
	}
	return m
}()

var (
	surnameSet = func() map[rune]bool {
		m := map[rune]bool{}
		for _, r := range commonSurnames {
			m[r] = true
		}
		return m
	}()
	compoundSet = func() map[string]bool {
		m := map[string]bool{}
		for _, s := range compoundSurnames {
			m[s] = true
		}
		return m
	}()
)

// nameShaped reports whether a run of Han characters is shaped like a person
// name: a common single surname and one or two given characters, or a
// compound surname and one or two more.
func nameShaped(run []rune) bool {
	switch len(run) {
	case 2, 3:
		if placeSuffix[run[len(run)-1]] {
			return false
		}
		if surnameSet[run[0]] {
			return true
		}
		return len(run) == 3 && compoundSet[string(run[:2])]
	case 4:
		return compoundSet[string(run[:2])]
	}
	return false
}
