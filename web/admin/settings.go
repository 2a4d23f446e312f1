package admin

import "github.com/gofiber/fiber/v2"

// Setting is one organisation setting as the settings page shows it. Settings come
// from flags and the environment when Cairn starts; the page shows them, and where
// each came from, without changing them.
type Setting struct {
	Name   string // what it is, e.g. "Time zone"
	Value  string // as in effect
	From   string // where the value came from: a flag, an environment variable, or "default"
	Change string // how to change it, e.g. "--timezone or CAIRN_TIMEZONE"
	Effect string // what it shapes
}

// settingsPage lists the organisation settings that shape reports and privacy.
func (c *console) settingsPage(ctx *fiber.Ctx) error {
	return c.page(ctx, "settings", "Organisation settings", map[string]any{"Settings": c.cfg.Settings})
}
