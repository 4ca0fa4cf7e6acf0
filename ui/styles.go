package ui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles are every style the UI draws with, built from a few semantic tokens. Nothing
// outside this file names a colour.
type Styles struct {
	Title     lipgloss.Style // the product name in the header
	Demo      lipgloss.Style // the DEMO badge
	Readonly  lipgloss.Style // the READ-ONLY badge
	Running   lipgloss.Style // the running-rollout badge
	Muted     lipgloss.Style
	Accent    lipgloss.Style
	OK        lipgloss.Style
	Warn      lipgloss.Style
	Danger    lipgloss.Style
	Bold      lipgloss.Style
	Cursor    lipgloss.Style // the row under the cursor
	Selected  lipgloss.Style // a selected row's mark
	GroupHead lipgloss.Style // role headers in the list
	KeyName   lipgloss.Style // a key in the key bar and help
	KeyDesc   lipgloss.Style
	Pane      lipgloss.Style // a bordered pane
	Dialog    lipgloss.Style // an overlay dialog
	BarEmpty  lipgloss.Style // the unfilled part of a progress bar
	BarFull   lipgloss.Style
	// Versions colour a role's versions, newest first; glyphs tell them apart too.
	Versions []lipgloss.Style
}

// palette is the semantic tokens for one background.
type palette struct {
	fg, muted, accent, ok, warn, danger, badgeFg color.Color
	versions                                     []color.Color
}

func newPalette(isDark bool) palette {
	ld := lipgloss.LightDark(isDark)
	return palette{
		fg:      ld(lipgloss.Color("#1F1F28"), lipgloss.Color("#DCD7BA")),
		muted:   ld(lipgloss.Color("#6E6A86"), lipgloss.Color("#8A8980")),
		accent:  ld(lipgloss.Color("#2F5FD0"), lipgloss.Color("#7AA2F7")),
		ok:      ld(lipgloss.Color("#2E7D32"), lipgloss.Color("#9ECE6A")),
		warn:    ld(lipgloss.Color("#A15C00"), lipgloss.Color("#E0AF68")),
		danger:  ld(lipgloss.Color("#C62828"), lipgloss.Color("#F7768E")),
		badgeFg: ld(lipgloss.Color("#FFFFFF"), lipgloss.Color("#1A1B26")),
		versions: []color.Color{
			ld(lipgloss.Color("#2E7D32"), lipgloss.Color("#9ECE6A")),
			ld(lipgloss.Color("#1565C0"), lipgloss.Color("#7DCFFF")),
			ld(lipgloss.Color("#6A1B9A"), lipgloss.Color("#BB9AF7")),
			// The fourth and fifth are neither the warning's amber nor the danger's red,
			// so that an old version never reads as a problem by its colour.
			ld(lipgloss.Color("#4E5A7A"), lipgloss.Color("#A9B1D6")),
			ld(lipgloss.Color("#7B3F00"), lipgloss.Color("#C0A36E")),
			ld(lipgloss.Color("#00695C"), lipgloss.Color("#73DACA")),
		},
	}
}

// NewStyles builds the styles for a dark or a light terminal background.
func NewStyles(isDark bool) Styles {
	p := newPalette(isDark)
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	badge := func(c color.Color) lipgloss.Style {
		return lipgloss.NewStyle().Bold(true).Foreground(p.badgeFg).Background(c).Padding(0, 1)
	}
	s := Styles{
		Title:     fg(p.accent).Bold(true),
		Demo:      badge(p.warn),
		Readonly:  badge(p.muted),
		Running:   badge(p.accent),
		Muted:     fg(p.muted),
		Accent:    fg(p.accent),
		OK:        fg(p.ok),
		Warn:      fg(p.warn),
		Danger:    fg(p.danger),
		Bold:      lipgloss.NewStyle().Bold(true),
		Cursor:    lipgloss.NewStyle().Reverse(true),
		Selected:  fg(p.accent).Bold(true),
		GroupHead: fg(p.fg).Bold(true),
		KeyName:   fg(p.accent).Bold(true),
		KeyDesc:   fg(p.muted),
		Pane:      lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(p.muted).Padding(0, 1),
		Dialog:    lipgloss.NewStyle().Border(lipgloss.DoubleBorder()).BorderForeground(p.accent).Padding(0, 1),
		BarEmpty:  fg(p.muted),
		BarFull:   fg(p.accent),
	}
	for _, c := range p.versions {
		s.Versions = append(s.Versions, fg(c))
	}
	return s
}

// versionGlyphs tell a role's versions apart without colour, newest first.
var versionGlyphs = []string{"█", "▓", "▒", "░", "▚", "▞"}

// VersionStyle is the style of the version with the given rank (0 is its role's newest).
func (s Styles) VersionStyle(rank int) lipgloss.Style {
	return s.Versions[rank%len(s.Versions)]
}

// versionGlyph is the glyph of the version with the given rank.
func versionGlyph(rank int) string { return versionGlyphs[rank%len(versionGlyphs)] }
