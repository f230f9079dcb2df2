package admission

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chongqingNow are the 38 county-level codes in force (docs/domain.md).
var chongqingNow = []string{
	"500101", "500102", "500103", "500104", "500105", "500106", "500107", "500108", "500109", "500110",
	"500111", "500112", "500113", "500114", "500115", "500116", "500117", "500118", "500119", "500120",
	"500151", "500152", "500153", "500154", "500155", "500156",
	"500229", "500230", "500231", "500233", "500235", "500236", "500237", "500238", "500240", "500241", "500242", "500243",
}

func TestRetiredCounty(t *testing.T) {
	for _, tc := range []struct{ old, new, newName string }{
		{"500228", "500155", "梁平区"},
		{"500232", "500156", "武隆区"},
		{"500234", "500154", "开州区"},
		{"500239", "500114", "黔江区"},
		{"500222", "500110", "綦江区"},
	} {
		t.Run(tc.old, func(t *testing.T) {
			c, ok := RetiredCounty(tc.old)
			require.True(t, ok)
			assert.Equal(t, tc.new, c.New)
			assert.Equal(t, tc.newName, c.NewName)
		})
	}
	for _, code := range append([]string{"", "5002", "ZH50022810001", "110101"}, chongqingNow...) {
		_, ok := RetiredCounty(code)
		assert.False(t, ok, "%q is not a retired code", code)
	}
}

func TestRetiredCountiesTable(t *testing.T) {
	require.Len(t, chongqingNow, 38)
	now := map[string]bool{}
	for _, c := range chongqingNow {
		now[c] = true
	}
	all := RetiredCounties()
	assert.Len(t, all, 15)
	assert.True(t, sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Old < all[j].Old }))
	for _, c := range all {
		assert.Len(t, c.Old, 6)
		assert.False(t, now[c.Old], "%s is retired but listed as current", c.Old)
		assert.True(t, now[c.New], "%s → %s: the new code must be in force", c.Old, c.New)
		assert.NotEmpty(t, c.OldName)
		assert.NotEmpty(t, c.NewName)
	}
	c, _ := RetiredCounty("500225")
	assert.Equal(t, "500225（大足县）已撤销，现为 500111（大足区）（由原大足县与双桥区合并设立）", c.describe())
}

func TestCountyAliases(t *testing.T) {
	assert.Equal(t, []string{"500154"}, CountyAliases("500234"), "开县 → 开州区")
	assert.Equal(t, []string{"500234"}, CountyAliases("500154"), "开州区 ← 开县")
	assert.Equal(t, []string{"500222"}, CountyAliases("500110"), "綦江区 ← 綦江县 (500110 itself was reused, not retired)")
	assert.Nil(t, CountyAliases("500103"), "渝中区 never changed")
	assert.Nil(t, CountyAliases("x"))
	for _, c := range RetiredCounties() {
		assert.Contains(t, CountyAliases(c.New), c.Old, "every pair both ways")
	}
}
