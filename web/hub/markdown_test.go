package hub

import (
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	m := newMarkdown()
	cases := []struct {
		src          string
		want, absent []string
	}{
		{"**bold** and `code`", []string{"<strong>bold</strong>", "<code>code</code>"}, nil},
		{"<script>alert(1)</script>\n\ntext", []string{"text"}, []string{"<script", "alert(1)</script>"}},
		{`[x](javascript:alert(1))`, []string{"x"}, []string{"javascript:"}},
		{`<a href="https://example.com" onclick="x()">a</a>`, nil, []string{"onclick"}},
		{`<div style="color:red">s</div>`, nil, []string{"style="}},
		{"https://example.com/page", []string{`href="https://example.com/page"`, `rel="nofollow`}, nil},
		{"| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
	}
	for _, c := range cases {
		got := string(m.render(c.src))
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("render(%q) = %q, missing %q", c.src, got, w)
			}
		}
		for _, a := range c.absent {
			if strings.Contains(got, a) {
				t.Errorf("render(%q) = %q, contains %q", c.src, got, a)
			}
		}
	}
	got := m.plain("Our `access.log` grows by **2 GB** & more.\n\n- Debian 12\n- nginx")
	if !strings.Contains(got, "Our access.log grows by 2 GB & more. ") || !strings.Contains(got, "Debian 12") || strings.ContainsAny(got, "*`<") {
		t.Errorf("plain = %q", got)
	}
}
