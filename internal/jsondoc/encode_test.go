package jsondoc

import (
	"encoding/json"
	"strings"
)

// encode renders a tree back to JSON, keeping member order.
func encode(v *Value) string {
	var b strings.Builder
	var walk func(*Value)
	walk = func(v *Value) {
		switch v.Kind {
		case Null:
			b.WriteString("null")
		case Bool:
			if v.Bool {
				b.WriteString("true")
			} else {
				b.WriteString("false")
			}
		case Number:
			b.WriteString(v.Text)
		case String:
			s, _ := json.Marshal(v.Text)
			b.Write(s)
		case Array:
			b.WriteByte('[')
			for i, it := range v.Items {
				if i > 0 {
					b.WriteByte(',')
				}
				walk(it)
			}
			b.WriteByte(']')
		case Object:
			b.WriteByte('{')
			for i, m := range v.Members {
				if i > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(m.Key)
				b.Write(k)
				b.WriteByte(':')
				walk(m.Value)
			}
			b.WriteByte('}')
		}
	}
	walk(v)
	return b.String()
}
