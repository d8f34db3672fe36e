package testservers

import (
	"io"
	"net"
	"sync"
	"testing"
)

// DropProxy forwards TCP connections to a target and can cut every open
// connection at once, the way a restarting load balancer or a network
// blip does, so clients see real transport failures (UNAVAILABLE).
type DropProxy struct {
	lis    net.Listener
	target string

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// StartDropProxy listens on 127.0.0.1:0 and forwards to target until test
// cleanup.
func StartDropProxy(t testing.TB, target string) *DropProxy {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &DropProxy{lis: lis, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		_ = lis.Close()
		p.DropAll()
		p.wg.Wait()
	})
	return p
}

// Addr is the address clients dial.
func (p *DropProxy) Addr() string { return p.lis.Addr().String() }

// DropAll closes every connection open now; new ones are accepted.
func (p *DropProxy) DropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

func (p *DropProxy) accept() {
	for {
		client, err := p.lis.Accept()
		if err != nil {
			return // listener closed
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.mu.Lock()
		p.conns[client], p.conns[server] = struct{}{}, struct{}{}
		p.mu.Unlock()
		// When either side ends (or DropAll closes it), close both.
		pipe := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			_ = dst.Close()
			_ = src.Close()
			p.mu.Lock()
			delete(p.conns, dst)
			delete(p.conns, src)
			p.mu.Unlock()
		}
		p.wg.Go(func() { pipe(server, client) })
		p.wg.Go(func() { pipe(client, server) })
	}
}
