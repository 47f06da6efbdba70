package githubapp

import (
	"container/list"

	"github.com/google/go-github/v60/github"
)

// lru keeps the clients of the most recently used installations. Not safe
// for concurrent use: Creator holds its mutex around it.
type lru struct {
	size  int
	order *list.List // front: most recently used; values are *entry
	items map[int64]*list.Element
}

type entry struct {
	installation int64
	client       *github.Client
}

func newLRU(size int) *lru {
	return &lru{size: size, order: list.New(), items: map[int64]*list.Element{}}
}

func (l *lru) get(id int64) (*github.Client, bool) {
	e, ok := l.items[id]
	if !ok {
		return nil, false
	}
	l.order.MoveToFront(e)
	return e.Value.(*entry).client, true
}

// add stores a client and returns the installation it dropped, if any.
func (l *lru) add(id int64, c *github.Client) (evicted int64, ok bool) {
	if e, found := l.items[id]; found {
		e.Value.(*entry).client = c
		l.order.MoveToFront(e)
		return 0, false
	}
	l.items[id] = l.order.PushFront(&entry{installation: id, client: c})
	if l.order.Len() <= l.size {
		return 0, false
	}
	last := l.order.Back()
	l.order.Remove(last)
	old := last.Value.(*entry).installation
	delete(l.items, old)
	return old, true
}

func (l *lru) len() int { return l.order.Len() }
