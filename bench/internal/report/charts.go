package report

import (
	"errors"
	"fmt"
	"image/color"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a chart.
type Series struct {
	Name string
	X, Y []float64
	// Dashed draws the line dashed (e.g. a bound next to a measurement).
	Dashed bool
	// Color index into the palette; series sharing an index share a colour.
	Color int
}

// LineChart describes a chart of lines with points.
type LineChart struct {
	Title, XLabel, YLabel string
	LogX                  bool
	Series                []Series
}

var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
}

// SavePNG draws the chart into a PNG file of 7x4.5 inches.
func (c LineChart) SavePNG(path string) error {
	if len(c.Series) == 0 {
		return errors.New("chart: no series")
	}
	p := plot.New()
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	if c.LogX {
		p.X.Scale = plot.LogScale{}
	}
	// Ticks at the measured x values, and head room above the data for the legend.
	xs := map[float64]bool{}
	maxY := 0.0
	for _, s := range c.Series {
		for _, x := range s.X {
			xs[x] = true
		}
		for _, y := range s.Y {
			maxY = max(maxY, y)
		}
	}
	var ticks []plot.Tick
	for x := range xs {
		ticks = append(ticks, plot.Tick{Value: x, Label: strconv.FormatFloat(x, 'g', 4, 64)})
	}
	sort.Slice(ticks, func(a, b int) bool { return ticks[a].Value < ticks[b].Value })
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min = 0
	if maxY > 0 {
		p.Y.Max = maxY * (1.15 + 0.1*float64(len(c.Series)))
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	for _, s := range c.Series {
		if len(s.X) != len(s.Y) || len(s.X) == 0 {
			return fmt.Errorf("chart: series %q has %d x and %d y values", s.Name, len(s.X), len(s.Y))
		}
		pts := make(plotter.XYs, len(s.X))
		for j := range s.X {
			pts[j].X, pts[j].Y = s.X[j], s.Y[j]
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("chart: series %q: %w", s.Name, err)
		}
		col := palette[s.Color%len(palette)]
		line.Color = col
		line.Width = vg.Points(1.5)
		points.Color = col
		points.Shape = draw.CircleGlyph{}
		if s.Dashed {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			points.Shape = draw.BoxGlyph{}
		}
		p.Add(line, points)
		p.Legend.Add(s.Name, line, points)
	}
	if err := p.Save(7*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return fmt.Errorf("chart: save %s: %w", path, err)
	}
	return nil
}
