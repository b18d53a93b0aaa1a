package hub

import (
	"io"
	"net"
	"sync"
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
	wg *sync.WaitGroup // the connections still lingering
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
	return &lingerConn{TCPConn: tc, wg: l.wg}, nil
}

// lingerConn is a TCP connection whose Close shuts its sending side down
// and drains what the client still sends, in the background, before the
// descriptor is closed. Embedding *net.TCPConn keeps ReadFrom and WriteTo,
// so copies keep the kernel's fast paths.
type lingerConn struct {
	*net.TCPConn
	wg   *sync.WaitGroup
	once sync.Once
}

func (c *lingerConn) Close() error {
	c.once.Do(func() {
		if c.TCPConn.CloseWrite() != nil {
			c.TCPConn.Close()
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.TCPConn.SetReadDeadline(time.Now().Add(lingerFor))
			io.CopyN(io.Discard, c.TCPConn, lingerMax)
			c.TCPConn.Close()
		}()
	})
	return nil
}
