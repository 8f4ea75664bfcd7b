package dashboard

// gridWidth is the width of Grafana's dashboard grid.
const gridWidth = 24

// layout places panels left to right, wrapping onto a new line when a panel does not
// fit, and numbers them. Rows always start a new line and span the full width.
type layout struct {
	panels []Panel
	x, y   int
	lineH  int
	nextID int
}

// row starts a new, expanded dashboard row.
func (l *layout) row(title string) {
	l.newline()
	collapsed := false
	l.add(Panel{Type: "row", Title: title, Collapsed: &collapsed}, gridWidth, 1)
	l.newline()
}

// add places p with the given width and height and returns its id.
func (l *layout) add(p Panel, w, h int) int {
	if l.x+w > gridWidth {
		l.newline()
	}
	l.nextID++
	p.ID = l.nextID
	p.GridPos = GridPos{H: h, W: w, X: l.x, Y: l.y}
	if p.Type != "row" {
		p.Datasource = promDatasource
	}
	l.panels = append(l.panels, p)
	l.x += w
	l.lineH = max(l.lineH, h)
	return p.ID
}

// newline moves below the tallest panel of the current line.
func (l *layout) newline() {
	if l.x == 0 {
		return
	}
	l.y += l.lineH
	l.x, l.lineH = 0, 0
}
