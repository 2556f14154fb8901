package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// FuzzLineConn: whatever a client sends, the connection never panics,
// every message it passes on decodes, and every error it writes back is
// one line of valid JSON.
func FuzzLineConn(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}` + "\n" + `{bad` + "\n"))
	f.Add([]byte("\xff\xfe\n\n   \n" + `[1]` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		conn, _ := (&lineTransport{r: bytes.NewReader(data), w: &out}).Connect(context.Background())
		for i := 0; i < 1000; i++ {
			if _, err := conn.Read(context.Background()); err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("Read error %v", err)
				}
				break
			}
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
			if len(line) > 0 && !json.Valid(line) {
				t.Fatalf("error response is not JSON: %q", line)
			}
		}
	})
}
