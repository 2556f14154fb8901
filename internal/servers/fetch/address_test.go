package fetch

import (
	"net/netip"
	"testing"
)

func TestBlockedReason(t *testing.T) {
	tests := []struct {
		addr    string
		blocked bool
	}{
		{"93.184.215.14", false},
		{"8.8.8.8", false},
		{"2606:4700:4700::1111", false},
		{"127.0.0.1", true},
		{"127.255.255.254", true},
		{"10.0.0.1", true},
		{"172.16.5.4", true},
		{"172.32.0.1", false},
		{"192.168.1.1", true},
		{"169.254.169.254", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"100.128.0.1", false},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"240.0.0.1", true},
		{"192.0.2.1", true},
		{"198.18.0.1", true},
		{"::", true},
		{"::1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:8.8.8.8", false},
		{"::127.0.0.1", true},
		{"fe80::1", true},
		{"fc00::1", true},
		{"fd00:ec2::254", true},
		{"ff02::1", true},
		{"fec0::1", true},
		{"2001:db8::1", true},
		{"2001::1", true},
		{"64:ff9b::7f00:1", true},
		{"64:ff9b::808:808", false},
		{"2002:7f00:1::1", true},
		{"2002:808:808::1", false},
		{"fe80::1%eth0", true},
	}
	for _, tc := range tests {
		a := netip.MustParseAddr(tc.addr)
		if got := blockedReason(a); (got != "") != tc.blocked {
			t.Errorf("blockedReason(%v) = %q, want blocked %v", a, got, tc.blocked)
		}
	}
	if got := blockedReason(netip.Addr{}); got == "" {
		t.Errorf("blockedReason(zero Addr) = %q, want a reason", got)
	}
}
