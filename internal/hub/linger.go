package hub

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// When the gateway closes a connection the client is still writing to
// (headers larger than it reads, a body it refused, a slow client cut
// off), closing at once with unread bytes makes the kernel answer with a
// reset, and a client that is still writing loses the error response it
// was sent. Like net/http's server, the gateway first closes its sending
// side, then reads and drops what still comes for a short while before
// closing: the client reads X-Road's error instead of "connection reset".
const (
	lingerFor = 500 * time.Millisecond // net/http's rstAvoidanceDelay
	lingerMax = 16 << 20               // bytes dropped at most
)

// lingerListener hands out connections that linger when closed.
type lingerListener struct {
	net.Listener
	n *atomic.Int64 // the connections still lingering
}

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	return &lingerConn{TCPConn: tc, n: l.n}, nil
}

// lingerConn is a TCP connection whose Close shuts its sending side down
// and drains what the client still sends, in the background, before the
// descriptor is closed. Embedding *net.TCPConn keeps ReadFrom and WriteTo,
// so copies keep the kernel's fast paths.
type lingerConn struct {
	*net.TCPConn
	n    *atomic.Int64
	once sync.Once
}

func (c *lingerConn) Close() error {
	c.once.Do(func() {
		if c.TCPConn.CloseWrite() != nil {
			c.TCPConn.Close()
			return
		}
		c.n.Add(1)
		go func() {
			defer c.n.Add(-1)
			c.TCPConn.SetReadDeadline(time.Now().Add(lingerFor))
			io.CopyN(io.Discard, c.TCPConn, lingerMax)
			c.TCPConn.Close()
		}()
	})
	return nil
}

// waitLingering waits until no connection lingers, at most lingerFor
// and a little: connections fasthttp closes after Shutdown returned may
// still start lingering meanwhile, so this is a bounded wait, not a
// WaitGroup's.
func waitLingering(n *atomic.Int64) {
	for end := time.Now().Add(lingerFor + 100*time.Millisecond); n.Load() > 0 && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
}
