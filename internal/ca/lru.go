package ca

import (
	"container/list"
	"crypto/tls"
)

// lru is a fixed-size least-recently-used cache of leaf certificates. It
// is not safe for concurrent use; Authority locks around it.
type lru struct {
	max   int
	order *list.List // front = most recent; values are *lruItem
	items map[string]*list.Element
}

type lruItem struct {
	host string
	cert *tls.Certificate
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (l *lru) get(host string) (*tls.Certificate, bool) {
	e, ok := l.items[host]
	if !ok {
		return nil, false
	}
	l.order.MoveToFront(e)
	return e.Value.(*lruItem).cert, true
}

func (l *lru) put(host string, c *tls.Certificate) {
	if e, ok := l.items[host]; ok {
		e.Value.(*lruItem).cert = c
		l.order.MoveToFront(e)
		return
	}
	l.items[host] = l.order.PushFront(&lruItem{host: host, cert: c})
	for l.order.Len() > l.max {
		old := l.order.Back()
		l.order.Remove(old)
		delete(l.items, old.Value.(*lruItem).host)
	}
}

// len is the number of cached certificates.
func (l *lru) len() int { return l.order.Len() }
