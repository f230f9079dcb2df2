// Package admission holds the domain of sanxian: datasets of environmental
// control units and sensitive areas, their access-list clauses, and the
// siting check that turns geometric hits into answers.
package admission

import (
	"github.com/paulmach/orb"
)

// Role says how a layer takes part in a check.
type Role string

// Layer roles.
const (
	// RolePartition layers tile the territory without gaps or overlaps
	// (districts, environmental control units): every site lies in at least
	// one of their features.
	RolePartition Role = "partition"
	// RoleSensitive layers are areas a project must avoid or respect
	// (ecological red line, nature reserves, drinking-water source zones).
	RoleSensitive Role = "sensitive"
	// RoleReference layers give context (rivers, for example).
	RoleReference Role = "reference"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	return r == RolePartition || r == RoleSensitive || r == RoleReference
}

// Kind is the geometry kind of a layer.
type Kind string

// Geometry kinds of layers.
const (
	KindPolygon Kind = "polygon" // Polygon or MultiPolygon features
	KindLine    Kind = "line"    // LineString or MultiLineString features
	KindPoint   Kind = "point"   // Point or MultiPoint features
)

// Well-known layer ids.
const (
	LayerDistricts      = "districts"
	LayerControlUnits   = "control_units"
	LayerEcoRedline     = "eco_redline"
	LayerNatureReserves = "nature_reserves"
	LayerWaterSources   = "water_sources"
	LayerRivers         = "rivers"
)

// Control unit categories as published (优先保护 / 重点管控 / 一般管控), and the
// code digit each one carries in the 13-character unit code.
const (
	CategoryPriority = "优先保护单元"
	CategoryKey      = "重点管控单元"
	CategoryGeneral  = "一般管控单元"
)

// Dimensions of the access list, in their published order.
var Dimensions = []string{"空间布局约束", "污染物排放管控", "环境风险防控", "资源利用效率"}

// Info identifies a dataset. Every answer carries it so that a result can
// be traced to the data it came from.
type Info struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Published string `json:"published"` // ISO date, YYYY-MM-DD
	CRS       string `json:"crs"`       // always EPSG:4490 once loaded
	Source    string `json:"source"`
	Synthetic bool   `json:"synthetic"`
	Notice    string `json:"notice,omitempty"`
	// Checksum is "sha256:<hex>" over the layer contents; see docs/dataset.md.
	Checksum string `json:"checksum"`
}

// Layer is one thematic layer of a dataset.
type Layer struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Role     Role      `json:"role"`
	Kind     Kind      `json:"kind"`
	Features []Feature `json:"-"`
}

// Feature is one zone, line or point of a layer.
type Feature struct {
	// ID is stable across versions: the 13-character ZH code for control
	// units, the county code for districts.
	ID       string
	Name     string
	Category string
	// Properties holds every other attribute; for control units the key
	// "clauses" maps each dimension to its clause texts.
	Properties map[string]any
	Geometry   orb.Geometry
}
