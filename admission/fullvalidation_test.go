package admission

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NewDataset with FullValidation refuses what only the overlays find (a
// partition overlap) and keeps the warnings (a gap); without it both
// datasets load, as before.
func TestNewDatasetFullValidation(t *testing.T) {
	overlap := []Layer{districtLayer(yuzhong), unitLayer(
		unitAt("ZH50010310001", rect(106.55, 29.55, 106.562, 29.57)),
		unitAt("ZH50010320001", rect(106.56, 29.55, 106.57, 29.57)),
	)}
	gap := []Layer{districtLayer(yuzhong), unitLayer(
		unitAt("ZH50010310001", rect(106.55, 29.55, 106.558, 29.57)),
		unitAt("ZH50010320001", rect(106.56, 29.55, 106.57, 29.57)),
	)}
	for _, workers := range []int{0, 1} {
		d, err := NewDataset(validateInfo, overlap, Options{Workers: workers})
		require.NoError(t, err, "without the full validation an overlap loads")
		assert.Nil(t, d.Warnings())

		_, err = NewDataset(validateInfo, overlap, Options{FullValidation: true, Workers: workers})
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, "workers %d", workers)
		assert.Equal(t, []string{CodeOverlap + " ZH50010310001"}, problemCodes(ve.Problems))

		d, err = NewDataset(validateInfo, gap, Options{FullValidation: true, Workers: workers})
		require.NoError(t, err, "a gap is a warning")
		assert.Equal(t, []string{CodeGap + " "}, problemCodes(d.Warnings()), "workers %d: a gap belongs to no feature", workers)
		res, err := d.Check(t.Context(), CheckRequest{Geometry: rect(106.551, 29.551, 106.552, 29.552).Bound().Center()})
		require.NoError(t, err)
		require.NotEmpty(t, res.Hits)
	}
	// Validate's own findings are refused either way.
	broken := []Layer{districtLayer(yuzhong), unitLayer(unitAt("ZH5001031000X", rect(106.55, 29.55, 106.57, 29.57)))}
	for _, full := range []bool{false, true} {
		_, err := NewDataset(validateInfo, broken, Options{FullValidation: full})
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, "full %v", full)
	}
}

// One worker gives the report many workers give, problem for problem.
func TestValidateDatasetWorkersAgree(t *testing.T) {
	layers := []Layer{districtLayer(yuzhong), unitLayer(
		unitAt("ZH50010310001", rect(106.55, 29.55, 106.558, 29.57)),
		unitAt("ZH50010320001", rect(106.556, 29.55, 106.565, 29.57)),
		unitAt("ZH50010330001", rect(106.566, 29.55, 106.58, 29.57)),
	)}
	one := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{Workers: 1})
	many := ValidateDataset(validateInfo, layers, Rules{}, ValidateOptions{Workers: 8})
	require.NotEmpty(t, one.Errors, "the overlap of units 1 and 2")
	require.NotEmpty(t, one.Warnings, "the gap between units 2 and 3, unit 3 partly outside")
	assert.Equal(t, one.Errors, many.Errors)
	assert.Equal(t, one.Warnings, many.Warnings)
}
