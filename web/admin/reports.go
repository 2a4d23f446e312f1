package admin

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/cairn-lrs/cairn/capture/reports"
	"github.com/cairn-lrs/cairn/qa"
)

// hubListLength is how many answerers and unanswered questions the report page lists.
const hubListLength = 10

// HubFigures are the Q&A hub's lists on the report page, read from the hub's store
// (indexed, so they cost the same at any size).
type HubFigures interface {
	// TopAnswerers returns at most limit answerers, most accepted answers first, then
	// highest answer score.
	TopAnswerers(ctx context.Context, limit int) ([]qa.Answerer, error)
	// OldestUnanswered returns at most limit questions without answers, oldest first.
	OldestUnanswered(ctx context.Context, limit int) ([]qa.Post, error)
}

// sourceColours are the chart colours of the sources, distinguishable in both colour
// schemes and for the common colour-vision deficiencies (Okabe–Ito palette).
var sourceColours = map[reports.Source]string{
	reports.SourceQA:        "#0072B2",
	reports.SourceExtension: "#E69F00",
	reports.SourceSlack:     "#009E73",
	reports.SourceXAPI:      "#CC79A7",
	reports.SourcePartner:   "#56B4E9",
}

// chart is a bar chart drawn as inline SVG by the reports template.
type chart struct {
	Title         string
	Width, Height int
	Bars          []chartBar
	XLabels       []chartLabel
	YTicks        []chartLabel
	Legend        []chartLegend
}

type chartBar struct {
	X, Y, W, H float64
	Fill       string
	Title      string
}

type chartLabel struct {
	X, Y float64
	Text string
}

type chartLegend struct {
	Fill, Text string
}

const (
	chartW, chartH       = 720, 260
	chartLeft, chartBase = 48.0, 220.0
)

// stackedChart draws one stacked bar per week, one segment per series.
func stackedChart(title string, weeks []reports.Day, series []reports.Source, values map[reports.Source][]int64) chart {
	c := chart{Title: title, Width: chartW, Height: chartH}
	var top int64
	for i := range weeks {
		var sum int64
		for _, s := range series {
			sum += values[s][i]
		}
		top = max(top, sum)
	}
	scale, ticks := axis(top)
	slot := (chartW - chartLeft - 8) / float64(max(len(weeks), 1))
	for i, w := range weeks {
		x := chartLeft + float64(i)*slot + slot*0.15
		y := chartBase
		for _, s := range series {
			v := values[s][i]
			if v <= 0 {
				continue
			}
			h := float64(v) * scale
			y -= h
			c.Bars = append(c.Bars, chartBar{X: x, Y: y, W: slot * 0.7, H: h, Fill: sourceColours[s],
				Title: fmt.Sprintf("%s, week of %s: %d", s.Label(), w, v)})
		}
		if len(weeks) <= 13 || i%2 == 0 {
			c.XLabels = append(c.XLabels, chartLabel{X: x + slot*0.35, Y: chartBase + 16, Text: w.Time().Format("2 Jan")})
		}
	}
	for _, t := range ticks {
		c.YTicks = append(c.YTicks, chartLabel{X: chartLeft - 6, Y: chartBase - float64(t)*scale + 4, Text: strconv.FormatInt(t, 10)})
	}
	for _, s := range series {
		c.Legend = append(c.Legend, chartLegend{Fill: sourceColours[s], Text: s.Label()})
	}
	return c
}

// axis returns the pixels per unit for values up to top and round tick values.
func axis(top int64) (float64, []int64) {
	if top <= 0 {
		top = 1
	}
	step := int64(math.Pow(10, math.Floor(math.Log10(float64(top)))))
	for top/step > 5 {
		step *= 2
	}
	limit := (top/step + 1) * step
	var ticks []int64
	for v := int64(0); v <= limit; v += step {
		ticks = append(ticks, v)
	}
	return (chartBase - 20) / float64(limit), ticks
}

// reportsPage shows the learning reports: activity by source, active learners, top
// items and teams, over the last N weeks (weeks=4..52) in the organisation's zone.
func (c *console) reportsPage(ctx *fiber.Ctx) error {
	r := c.cfg.Reports
	weeksBack := ctx.QueryInt("weeks", 12)
	if weeksBack < 4 || weeksBack > 52 {
		return c.page(ctx.Status(fiber.StatusBadRequest), "error", "Reports", map[string]any{"Message": "weeks must be between 4 and 52."})
	}
	team := ctx.Query("team")
	if len(team) > 200 {
		return c.page(ctx.Status(fiber.StatusBadRequest), "error", "Reports", map[string]any{"Message": "team is longer than 200 characters."})
	}
	p := r.LastWeeks(weeksBack)
	act, err := r.Activity(ctx.UserContext(), p, team)
	if err != nil {
		return err
	}
	teams, err := r.Teams(ctx.UserContext(), p)
	if err != nil {
		return err
	}
	tops := map[string][]reports.TopItem{}
	for _, k := range reports.Kinds {
		if tops[string(k)], err = r.Top(ctx.UserContext(), k, 10); err != nil {
			return err
		}
	}
	learners := stackedChart("Active learners per week", act.Weeks, []reports.Source{"learners"}, map[reports.Source][]int64{"learners": act.Learners})
	for i := range learners.Bars {
		learners.Bars[i].Fill = "#0072B2"
	}
	learners.Legend = nil
	type row struct {
		Week    string
		Counts  []int64
		Learner int64
	}
	var rows []row
	for i, w := range act.Weeks {
		rw := row{Week: w.String(), Learner: act.Learners[i]}
		for _, s := range reports.Sources {
			rw.Counts = append(rw.Counts, act.Statements[s][i])
		}
		rows = append(rows, rw)
	}
	var sourceNames []string
	for _, s := range reports.Sources {
		sourceNames = append(sourceNames, s.Label())
	}
	var answerers []qa.Answerer
	var unanswered []qa.Post
	if h := c.cfg.Hub; h != nil {
		// A list of answerers names people: never under the privacy rule. Unanswered
		// questions name no one.
		if !r.Privacy.Aggregate {
			if answerers, err = h.TopAnswerers(ctx.UserContext(), hubListLength); err != nil {
				return err
			}
		}
		if unanswered, err = h.OldestUnanswered(ctx.UserContext(), hubListLength); err != nil {
			return err
		}
	}
	zone := "UTC"
	if r.Zone != nil {
		zone = r.Zone.String()
	}
	return c.page(ctx, "reports", "Reports", map[string]any{
		"Activity": stackedChart("Statements per week by source", act.Weeks, reports.Sources, act.Statements),
		"Learners": learners, "Rows": rows, "SourceNames": sourceNames,
		"Tops": tops, "Teams": teams, "Team": team, "Weeks": weeksBack,
		"Hub": c.cfg.Hub != nil, "Answerers": answerers, "Unanswered": unanswered,
		"Privacy": r.Privacy.Aggregate, "MinGroup": act.MinGroup, "Suppressed": act.Suppressed,
		"Zone": zone, "From": p.From.String(), "To": p.To.Time().Add(6 * 24 * time.Hour).Format("2006-01-02"),
	})
}
