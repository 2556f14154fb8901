package resource

import "testing"

func TestIdentifier(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "lowercase", in: "IronCurtain", want: "ironcurtain"},
		{name: "unchanged", in: "owner-1.x_y", want: "owner-1.x_y"},
		{name: "no trim", in: " a ", want: " a "},
		{name: "unicode", in: "ÄBC", want: "äbc"},
		{name: "empty", in: "", wantErr: true},
		{name: "invalid UTF-8", in: "a\xff", wantErr: true},
		{name: "control", in: "a\nb", wantErr: true},
		{name: "NUL", in: "a\x00", wantErr: true},
		{name: "C1 control", in: "a\u0085", wantErr: true},
		{name: "zero width", in: "own\u200ber", wantErr: true},
		{name: "bidi override", in: "a\u202eb", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Identifier(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Identifier(%q) = %q, want error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Identifier(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{name: "lowercase", in: "Alice@Example.COM", want: "alice@example.com"},
		{name: "plus", in: "a+b@x.io", want: "a+b@x.io"},
		{name: "no at", in: "alice", wantErr: true},
		{name: "two at", in: "a@b@c", wantErr: true},
		{name: "empty local", in: "@x.io", wantErr: true},
		{name: "empty domain", in: "a@", wantErr: true},
		{name: "space", in: "a @x.io", wantErr: true},
		{name: "newline", in: "a@x.io\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "invalid UTF-8", in: "a@\xff", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Email(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Email(%q) = %q, want error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Email(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func FuzzIdentifier(f *testing.F) {
	for _, s := range []string{"Owner", "ÄBC", "İstanbul", "ẞ", "a\u200b", "Σ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, err := Identifier(in)
		if err != nil {
			return
		}
		again, err := Identifier(id)
		if err != nil || again != id {
			t.Fatalf("Identifier(Identifier(%q)) = %q, %v, want %q", in, again, err, id)
		}
	})
}
