package admission

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// The hierarchy of GB/T 4754-2017, one branch of it:
//
//	C            制造业                       section  (门类)
//	└─ C26       化学原料和化学制品制造业      division (大类)
//	   └─ C261   基础化学原料制造              group    (中类)
//	      ├─ C2611 无机酸制造                  class    (小类)
//	      └─ C2614 有机化学原料制造
func newTestIndustries(tb testing.TB) *Industries {
	tb.Helper()
	ind, err := NewIndustries()
	require.NoError(tb, err)
	return ind
}

func codesOf(its []Industry) []string {
	var out []string
	for _, it := range its {
		out = append(out, it.Code)
	}
	return out
}

func TestIndustryCounts(t *testing.T) {
	ind := newTestIndustries(t)
	for lvl, want := range map[IndustryLevel]int{
		IndustrySection:  20,
		IndustryDivision: 97,
		IndustryGroup:    473,
		IndustryClass:    1380,
		"subclass":       0,
	} {
		assert.Equal(t, want, ind.Count(lvl), "level %s", lvl)
	}
	assert.Len(t, ind.All(), 20+97+473+1380)
}

func TestIndustryHierarchyIsWellFormed(t *testing.T) {
	ind := newTestIndustries(t)
	above := map[IndustryLevel]IndustryLevel{
		IndustryDivision: IndustrySection,
		IndustryGroup:    IndustryDivision,
		IndustryClass:    IndustryGroup,
	}
	seen := map[string]bool{}
	for _, it := range ind.All() {
		assert.False(t, seen[it.Code], "duplicate code %s", it.Code)
		seen[it.Code] = true
		assert.NotEmpty(t, it.Name, it.Code)
		if it.Level == IndustrySection {
			assert.Empty(t, it.Parent, it.Code)
			continue
		}
		parent, ok := ind.Lookup(it.Parent)
		if assert.True(t, ok, "%s: parent %q missing", it.Code, it.Parent) {
			assert.Equal(t, above[it.Level], parent.Level, "%s: parent %s", it.Code, parent.Code)
			assert.True(t, strings.HasPrefix(it.Code, parent.Code), "%s under %s", it.Code, parent.Code)
		}
	}

	// The embedded table is the file next to this test; every row of it
	// is found again, unchanged.
	f, err := os.Open("gbt4754-2017.csv")
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+len(seen))
	for _, r := range rows[1:] {
		got, ok := ind.Lookup(r[0])
		require.True(t, ok, r[0])
		assert.Equal(t, Industry{Code: r[0], Level: IndustryLevel(r[1]), Name: r[2], Parent: r[3]}, got)
	}
}

func TestIndustryDivisionSectionsTable(t *testing.T) {
	ind := newTestIndustries(t)
	n := 0
	for _, it := range ind.All() {
		if it.Level != IndustryDivision {
			continue
		}
		n++
		sec, ok := sectionOfDivision(it.Code[1:])
		require.True(t, ok, it.Code)
		assert.Equal(t, it.Code[:1], string(sec), "section of division %s", it.Code[1:])
	}
	assert.Equal(t, len(divisionSections), n)
}

func TestIndustryKnownCodes(t *testing.T) {
	ind := newTestIndustries(t)
	for _, tc := range []struct {
		code  string
		name  string
		level IndustryLevel
	}{
		{"C2614", "有机化学原料制造", IndustryClass},
		{"I6450", "互联网数据服务", IndustryClass},
		{"I645", "互联网数据服务", IndustryGroup}, // single-class group: same name
		{"C2611", "无机酸制造", IndustryClass},
		{"A0111", "稻谷种植", IndustryClass},
		{"C17", "纺织业", IndustryDivision},
		{"D4411", "火力发电", IndustryClass},
		{"C", "制造业", IndustrySection},
		{"T9700", "国际组织", IndustryClass},
	} {
		t.Run(tc.code, func(t *testing.T) {
			got, ok := ind.Lookup(tc.code)
			require.True(t, ok)
			assert.Equal(t, tc.name, got.Name)
			assert.Equal(t, tc.level, got.Level)
		})
	}

	for _, in := range []string{"c2614", " 2614 ", "Ｃ２６１４"} {
		got, ok := ind.Lookup(in)
		if assert.True(t, ok, in) {
			assert.Equal(t, "C2614", got.Code, in)
		}
	}
	for _, in := range []string{"", "C2699", "C269", "C9999", "C26-14", "U", "2"} {
		_, ok := ind.Lookup(in)
		assert.False(t, ok, "Lookup(%q)", in)
	}
}

func TestIndustryJSON(t *testing.T) {
	ind := newTestIndustries(t)
	it, _ := ind.Lookup("C2614")
	b, err := json.Marshal(it)
	require.NoError(t, err)
	assert.JSONEq(t, `{"code":"C2614","name":"有机化学原料制造","level":"class","parent":"C261"}`, string(b))
}

func TestNormalizeIndustryCode(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"class", "C2614", "C2614"},
		{"lower case", "c2614", "C2614"},
		{"digits only class", "2614", "C2614"},
		{"digits only division", "44", "D44"},
		{"digits only group", "645", "I645"},
		{"first division", "01", "A01"},
		{"last division", "97", "T97"},
		{"section", "C", "C"},
		{"lower-case section", "t", "T"},
		{"spaces trimmed", "  C26 \t", "C26"},
		{"full width", "ｃ２６１", "C261"},
		{"ideographic space", "\u3000C2614\u3000", "C2614"},
		{"well-formed but absent", "C2699", "C2699"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeIndustryCode(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}

	for _, tc := range []struct {
		name, in, reason string // reason: a fragment of the Chinese reason
	}{
		{"empty", "", "为空"},
		{"blank", "   ", "为空"},
		{"hyphen", "C26-14", "非法字符"},
		{"inner space", "C 2614", "非法字符"},
		{"Chinese", "化学", "非法字符"},
		{"letter U", "U", "门类"},
		{"letter Z with digits", "Z2614", "门类"},
		{"two letters", "CC26", "开头"},
		{"letter after digits", "26C", "开头"},
		{"one digit", "2", "位"},
		{"one digit with letter", "C2", "位"},
		{"five digits", "C26141", "位"},
		{"division 00", "00", "不存在"},
		{"division 98", "9899", "不存在"},
		{"division 99 with letter", "C9999", "不存在"},
		{"wrong section", "C4411", "属于门类 D"},
		{"too long", strings.Repeat("1", 100), "过长"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeIndustryCode(tc.in)
			require.Error(t, err)
			assert.Empty(t, got)
			var ce *IndustryCodeError
			require.True(t, errors.As(err, &ce), "got %T, want *IndustryCodeError", err)
			assert.Equal(t, tc.in, ce.Input)
			assert.Contains(t, ce.Reason, tc.reason)
			assert.Contains(t, err.Error(), "admission: invalid industry code")
		})
	}
}

var canonicalIndustryCode = regexp.MustCompile(`^[A-T](\d{2,4})?$`)

func FuzzNormalizeIndustryCode(f *testing.F) {
	for _, s := range []string{"C2614", "c2614", "2614", "C", "", "C26-14", "Ｃ２６１４", "C4411", "9999", "\u3000t\u3000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		defer fuzzkit.Guard(t)()
		got, err := NormalizeIndustryCode(s)
		if err != nil {
			var ce *IndustryCodeError
			if !errors.As(err, &ce) || ce.Reason == "" {
				t.Fatalf("NormalizeIndustryCode(%q): error %v without a reason", s, err)
			}
			return
		}
		if !canonicalIndustryCode.MatchString(got) {
			t.Fatalf("NormalizeIndustryCode(%q) = %q, not canonical", s, got)
		}
		again, err := NormalizeIndustryCode(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeIndustryCode(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}

func TestIndustrySearchByCode(t *testing.T) {
	ind := newTestIndustries(t)
	for _, tc := range []struct {
		name  string
		q     string
		limit int
		want  []string
	}{
		{"group, all of it", "c261", 0, []string{"C261", "C2611", "C2612", "C2613", "C2614", "C2619"}},
		{"division, shortest first", "C26", 4, []string{"C26", "C261", "C262", "C263"}},
		{"division without letter", "26", 4, []string{"C26", "C261", "C262", "C263"}},
		{"class", "C2614", 5, []string{"C2614"}},
		{"one digit spans sections", "4", 6, []string{"C40", "C41", "C42", "C43", "D44", "D45"}},
		{"section", "i", 4, []string{"I", "I63", "I64", "I65"}},
		{"absent group", "C269", 5, nil},
		{"absent section", "Z", 5, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, codesOf(ind.Search(tc.q, tc.limit)))
		})
	}

	assert.Len(t, ind.Search("C", 0), DefaultSearchLimit)
	assert.Len(t, ind.Search("C", -1), DefaultSearchLimit)
	assert.Equal(t, 1+31+179+608, len(ind.Search("C", 1000)), "all of section C")
}

func TestIndustrySearchByName(t *testing.T) {
	ind := newTestIndustries(t)
	for _, tc := range []struct {
		name  string
		q     string
		limit int
		want  []string
	}{
		// I645 and its only class share the name; the group comes first.
		{"substring", "数据", 0, []string{"I645", "I6450"}},
		{"names starting with q first, then shorter", "化学", 5, []string{"B102", "B1020", "C2631", "C28", "C272"}},
		{"prefix beats length", "火力", 3, []string{"D4411", "E4871"}},
		{"inner substring", "发电", 3, []string{"C3811", "D4411", "D4413"}},
		// The standard writes 羽毛(绒) in C194 and 羽毛（绒） in its classes.
		{"bracket width ignored", "羽毛(绒)", 0, []string{"C1941", "C1942", "C194"}},
		{"ASCII case ignored", "3d", 0, []string{"M7517"}},
		{"no match", "量子", 0, nil},
		{"empty", "", 0, nil},
		{"blank", " \u3000 ", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, codesOf(ind.Search(tc.q, tc.limit)))
		})
	}

	got := ind.Search("制造", 0)
	require.Len(t, got, DefaultSearchLimit)
	for _, it := range got {
		assert.Contains(t, it.Name, "制造")
	}
}

func TestIndustryClosest(t *testing.T) {
	ind := newTestIndustries(t)
	for _, tc := range []struct {
		name string
		in   string
		n    int
		want []string
	}{
		{"known code first", "C2614", 3, []string{"C2614", "C2613", "C2612"}},
		{"absent group: classes of C26 one digit off", "C2699", 4, []string{"C2689", "C2669", "C2659", "C2629"}},
		{"absent group code: sibling groups", "C269", 3, []string{"C268", "C267", "C266"}},
		{"absent class in a group", "I6459", 3, []string{"I6450", "I645", "I6439"}},
		{"digits win over a wrong letter", "C4411", 2, []string{"D4411", "D4412"}},
		{"absent division: section, then nearest divisions", "C9999", 0, []string{"C", "C43", "C42", "C41", "C40"}},
		{"absent division, no section", "99", 2, []string{"T97", "S96"}},
		{"punctuation ignored", "c26-14", 1, []string{"C2614"}},
		{"unknown section letter", "Z", 3, []string{"A", "B", "C"}},
		{"nothing to go on", "化学", 3, nil},
		{"empty", "", 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := codesOf(ind.Closest(tc.in, tc.n))
			assert.Equal(t, tc.want, got)
			assert.Equal(t, got, codesOf(ind.Closest(tc.in, tc.n)), "deterministic")
		})
	}
}

func TestIndustryAncestors(t *testing.T) {
	ind := newTestIndustries(t)
	assert.Equal(t, []string{"C", "C26", "C261", "C2614"}, codesOf(ind.Ancestors("2614")))
	assert.Equal(t, []string{"I", "I64", "I645"}, codesOf(ind.Ancestors("i645")))
	assert.Equal(t, []string{"A"}, codesOf(ind.Ancestors("A")))
	assert.Nil(t, ind.Ancestors("C2699"))
	assert.Nil(t, ind.Ancestors(""))
	assert.Nil(t, ind.Ancestors("C26-14"))
}

func TestIndustryMatchesPrefix(t *testing.T) {
	ind := newTestIndustries(t)
	for _, tc := range []struct {
		name, code, prefix string
		want               bool
	}{
		{"section", "C2614", "C", true},
		{"section, lower case", "c2614", "c", true},
		{"division", "C2614", "C26", true},
		{"division without letter", "C2614", "26", true},
		{"code without letter", "2614", "C26", true},
		{"group", "C2614", "C261", true},
		{"class itself", "C2614", "C2614", true},
		{"group under its division", "C261", "C26", true},
		{"other section", "C2614", "D", false},
		{"other division", "C2614", "C27", false},
		{"same digits, other level", "C2614", "C2", false}, // "C2" is ill-formed
		{"other group", "C2614", "C262", false},
		{"other class", "C2614", "C2611", false},
		{"prefix deeper than code", "C261", "C2614", false},
		{"ill-formed prefix", "C2614", "C26-", false},
		{"prefix with wrong section", "C2614", "D26", false},
		{"empty prefix", "C2614", "", false},
		{"ill-formed code", "C26x14", "C26", false},
		{"empty code", "", "C", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ind.MatchesPrefix(tc.code, tc.prefix), "MatchesPrefix(%q, %q)", tc.code, tc.prefix)
		})
	}
}

func TestIndustriesConcurrentUse(t *testing.T) {
	ind := newTestIndustries(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				_, _ = ind.Lookup("C2614")
				_ = ind.Search("化学", 5)
				_ = ind.Closest("C2699", 3)
				_ = ind.Ancestors("C2614")
			}
		})
	}
	wg.Wait()
	got, _ := ind.Lookup("C2614")
	assert.Equal(t, "有机化学原料制造", got.Name)
}

func TestParseIndustriesRejectsDamagedTables(t *testing.T) {
	const header = "code,level,name,parent\n"
	for _, tc := range []struct {
		name, csv, want string
	}{
		{"bad header", "code,name,level,parent\nA,农、林、牧、渔业,section,\n", "header"},
		{"missing parent", header + "A,section,农、林、牧、渔业,\nA011,group,谷物种植,A01\n", "parent A01 missing"},
		{"duplicate", header + "A,section,农、林、牧、渔业,\nA,section,农、林、牧、渔业,\n", "duplicate"},
		{"wrong level", header + "A,section,农、林、牧、渔业,\nA01,group,农业,A\n", "level"},
		{"wrong parent", header + "A,section,农、林、牧、渔业,\nB,section,采矿业,\nA01,division,农业,B\n", "parent"},
		{"no name", header + "A,section, ,\n", "no name"},
		{"lower case", header + "a,section,农、林、牧、渔业,\n", "canonical"},
		{"wrong section", header + "B,section,采矿业,\nB01,division,农业,B\n", "属于门类 A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseIndustries([]byte(tc.csv))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func BenchmarkIndustrySearch(b *testing.B) {
	ind := newTestIndustries(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(ind.Search("化学", 10)) == 0 {
			b.Fatal("no result")
		}
	}
}

func BenchmarkIndustryClosest(b *testing.B) {
	ind := newTestIndustries(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(ind.Closest("C2699", 5)) == 0 {
			b.Fatal("no result")
		}
	}
}
