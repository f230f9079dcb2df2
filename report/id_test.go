package report

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewIDParses(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id, err := NewID()
		require.NoError(t, err)
		require.Len(t, id, 19)
		require.False(t, seen[id], "duplicate %s", id)
		seen[id] = true
		p, err := ParseID(id)
		require.NoError(t, err, id)
		assert.Equal(t, ID{Text: id}, p)
	}
}

// Every single-character substitution of an id's body is refused, except
// 0 ↔ Z (values 0 and 31, equal mod 31); so is every swap of two
// neighbours that differ.
func TestIDCheckCharacter(t *testing.T) {
	for _, id := range []string{"R-7K3M9QXA2BFD4HJP8", BatchRowID("4f9c2d7e1a3b5c6d8e0f1a2b", 12345)} {
		_, err := ParseID(id)
		require.NoError(t, err, id)
		for i := 2; i < len(id); i++ {
			for _, c := range alphabet {
				if byte(c) == id[i] {
					continue
				}
				typo := id[:i] + string(c) + id[i+1:]
				_, err := ParseID(typo)
				pair := string(id[i]) + string(c)
				if pair == "0Z" || pair == "Z0" {
					continue
				}
				assert.ErrorIs(t, err, ErrMalformedID, "%s (from %s) accepted", typo, id)
			}
			if i+1 < len(id) && id[i] != id[i+1] {
				swap := id[:i] + string(id[i+1]) + string(id[i]) + id[i+2:]
				_, err := ParseID(swap)
				assert.ErrorIs(t, err, ErrMalformedID, "%s (swap in %s) accepted", swap, id)
			}
		}
	}
}

func TestParseIDAsTyped(t *testing.T) {
	for _, typed := range []string{"R-7K3M9QXA2BFD4HJP8", "r-7k3m9qxa2bfd4hjp8", " R-7K3M-9QXA-2BFD-4HJP-8 ", "R 7K3M 9QXA 2BFD 4HJP 8", "R7K3M9QXA2BFD4HJP8"} {
		id, err := ParseID(typed)
		require.NoError(t, err, typed)
		assert.Equal(t, "R-7K3M9QXA2BFD4HJP8", id.Text, typed)
	}
	// O for 0, I and L for 1.
	id, err := NewID()
	require.NoError(t, err)
	typed := strings.NewReplacer("0", "O", "1", "l").Replace(id)
	p, err := ParseID(typed)
	require.NoError(t, err, typed)
	assert.Equal(t, id, p.Text)
	for _, bad := range []string{"", "R", "R-", "X-7K3M9QXA2BFD4HJP8", "R-7K3M9QXA2BFD4HJP", "R-7K3M9QXA2BFD4HJP8U", "R-7K3M9QXA2BFD4HJP8A", "R-报告", "B-7K3M9QXA2BFD4HJP8"} {
		_, err := ParseID(bad)
		assert.ErrorIs(t, err, ErrMalformedID, "%q", bad)
	}
}

func TestBatchRowID(t *testing.T) {
	const job = "4f9c2d7e1a3b5c6d8e0f1a2b"
	ids := map[string]bool{}
	for _, seq := range []int{0, 1, 31, 32, 199_999, 1 << 30} {
		id := BatchRowID(job, seq)
		require.True(t, strings.HasPrefix(id, "B-"), id)
		require.False(t, ids[id])
		ids[id] = true
		p, err := ParseID(strings.ToLower(id))
		require.NoError(t, err, id)
		assert.Equal(t, ID{Batch: true, JobID: job, Seq: seq, Text: id}, p)
	}
	for _, bad := range []string{"", "job-42", "4F9C2D7E1A3B5C6D8E0F1A2B", "4f9c2d7e1a3b5c6d8e0f1a", "4f9c2d7e1a3b5c6d8e0f1a2b00"} {
		assert.Empty(t, BatchRowID(bad, 0), bad)
	}
	assert.Empty(t, BatchRowID(job, -1))
}

func FuzzParseID(f *testing.F) {
	f.Add("R-7K3M9QXA2BFD4HJP8")
	f.Add(BatchRowID("4f9c2d7e1a3b5c6d8e0f1a2b", 7))
	f.Add("b-9ye2tzgt7de6v3gf38ng0g")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		again, err := ParseID(id.Text)
		if err != nil || again != id {
			t.Fatalf("%q parsed as %+v, which parses as %+v, %v", s, id, again, err)
		}
		if id.Batch && BatchRowID(id.JobID, id.Seq) != id.Text {
			t.Fatalf("%q: batch id not canonical", s)
		}
	})
}
