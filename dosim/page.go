package dosim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
)

// A page of 200 droplets is about a megabyte, most of it the image, size and region
// each droplet repeats. Encoding it as one value would have encoding/json validate every
// pre-encoded part again and allocate the page each time, and at 100,000 droplets the
// garbage collector's walks over the world would follow; so droplet pages are written
// into pooled buffers, splicing the shared parts in as they are.

// rawBody is a response body already encoded; write sends it and recycles its buffer.
type rawBody struct{ buf *bytes.Buffer }

var pagePool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (b *rawBody) release() {
	if b.buf.Cap() <= 8<<20 {
		b.buf.Reset()
		pagePool.Put(b.buf)
	}
}

// dropletPage renders a page of droplets under "droplets", with links and meta.
func (s *Sim) dropletPage(r *http.Request, list []*Droplet) (int, any) {
	p, ok := s.paginate(r, len(list))
	if !ok {
		return badRequest("page and per_page must be positive integers")
	}
	buf := pagePool.Get().(*bytes.Buffer)
	buf.WriteString(`{"droplets":[`)
	rd := s.w.dropletRenderer()
	for i, d := range list[p.start:p.end] {
		if i > 0 {
			buf.WriteByte(',')
		}
		rd.encode(buf, d)
	}
	buf.WriteString(`],"links":`)
	buf.Write(mustJSON(p.links))
	buf.WriteString(`,"meta":{"total":`)
	buf.WriteString(strconv.Itoa(p.total))
	buf.WriteString(`}}`)
	return http.StatusOK, &rawBody{buf}
}

// encode writes one droplet: its own fields, then the shared parts.
func (r *dropletRenderer) encode(buf *bytes.Buffer, d *Droplet) {
	thin := r.thin(d)
	buf.Write(appendThin(buf.AvailableBuffer(), &thin))
	buf.WriteString(`,"image":`)
	buf.Write(r.image(d))
	buf.WriteString(`,"size":`)
	buf.Write(sizeJSON(d.Size))
	buf.WriteString(`,"region":`)
	buf.Write(regionJSON(d.Region))
	buf.WriteByte('}')
}

// actionPage renders a page of actions, kept oldest first, newest first.
func (s *Sim) actionPage(r *http.Request, list []*Action) (int, any) {
	n := len(list)
	p, ok := s.paginate(r, n)
	if !ok {
		return badRequest("page and per_page must be positive integers")
	}
	buf := pagePool.Get().(*bytes.Buffer)
	buf.WriteString(`{"actions":[`)
	enc := json.NewEncoder(buf)
	for i := p.start; i < p.end; i++ {
		if i > p.start {
			buf.WriteByte(',')
		}
		a := list[n-1-i]
		thin := thinAction(a)
		if err := enc.Encode(&thin); err != nil {
			panic("dosim: encode an action: " + err.Error())
		}
		buf.Truncate(buf.Len() - 2)
		buf.WriteString(`,"region":`)
		buf.Write(actionRegion(a))
		buf.WriteByte('}')
	}
	buf.WriteString(`],"links":`)
	buf.Write(mustJSON(p.links))
	buf.WriteString(`,"meta":{"total":`)
	buf.WriteString(strconv.Itoa(p.total))
	buf.WriteString(`}}`)
	return http.StatusOK, &rawBody{buf}
}
