package llm

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Provider names, as written before the colon of a model spec and as keys of
// Config.Keys and Config.BaseURLs.
const (
	Anthropic        = "anthropic"
	OpenAI           = "openai"
	OpenAICompatible = "openai-compatible"
)

const specForms = `"anthropic:MODEL", "openai:MODEL" or "openai-compatible:MODEL"`

// Default endpoints.
const (
	DefaultAnthropicBaseURL = "https://api.anthropic.com/"
	DefaultOpenAIBaseURL    = "https://api.openai.com/v1/"
)

// maxRetries is how often the SDKs retry a 408/409/429/5xx or a dropped
// connection; maxRetryAfter caps how long a server may tell us to wait
// before a retry (longer, and the error is returned at once).
const (
	maxRetries    = 2
	maxRetryAfter = time.Minute
)

// Config is where providers find keys, endpoints and the HTTP client.
type Config struct {
	// Getenv looks up ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, OPENAI_API_KEY
	// and OPENAI_BASE_URL (os.Getenv in production). Nil means an empty
	// environment. The SDKs' own environment lookups are bypassed; only the
	// default HTTP client honours the standard proxy variables (HTTPS_PROXY,
	// NO_PROXY), as net/http does.
	Getenv func(string) string
	// Keys and BaseURLs come from <home>/config.json (parsed by the caller),
	// by provider name; empty means unset. The environment wins over them.
	Keys     map[string]string
	BaseURLs map[string]string
	// HTTPClient carries every request; nil means a client with connect,
	// TLS and response-header timeouts but no overall timeout (streams may
	// run long; the caller's context bounds them).
	HTTPClient *http.Client
	// ConfigPath names config.json in error messages; empty means
	// "<home>/config.json".
	ConfigPath string
}

// ParseSpec splits "provider:model". The model is everything after the first
// colon, so Ollama-style names such as "llama3.1:8b" keep theirs.
func ParseSpec(spec string) (provider, model string, err error) {
	provider, model, ok := strings.Cut(spec, ":")
	if !ok {
		return "", "", fmt.Errorf("model %q: want %s", spec, specForms)
	}
	switch provider {
	case Anthropic, OpenAI, OpenAICompatible:
	default:
		return "", "", fmt.Errorf("model %q: unknown provider %q; want %s", spec, provider, specForms)
	}
	if model == "" {
		return "", "", fmt.Errorf("model %q: no model name after the colon; want %s", spec, specForms)
	}
	if len(model) > 256 {
		return "", "", fmt.Errorf("model %q: name longer than 256 bytes", spec[:64]+"…")
	}
	for _, r := range model {
		if r == unicode.ReplacementChar || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "", "", fmt.Errorf("model %q: name has a space, control or invalid character", spec)
		}
	}
	return provider, model, nil
}

// endpoint is a resolved provider configuration.
type endpoint struct {
	provider, model string
	baseURL         string
	key             string // may be empty only for openai-compatible
	keyVar          string // the variable or config key the key came from, for hints and errors
	client          *http.Client
}

// New returns the provider a spec names ("anthropic:claude-sonnet-4-6").
// It fails when the spec is malformed, a required key is missing (the error
// matches ErrNoKey and names the variable to set), or a base URL is unusable.
//
// Keys and base URLs: the environment first, then Config.Keys/BaseURLs, for
// anthropic (ANTHROPIC_*) and openai (OPENAI_*). openai-compatible needs a
// base URL and takes its key from the same place as the base URL — OPENAI_API_KEY
// with OPENAI_BASE_URL, or keys["openai-compatible"] with
// baseURLs["openai-compatible"] — so a key never goes to an endpoint it was
// not configured with; the key is optional (local servers need none).
func New(spec string, cfg Config) (Provider, error) {
	provider, model, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	ep, err := resolve(provider, model, cfg)
	if err != nil {
		return nil, err
	}
	switch provider {
	case Anthropic:
		return newAnthropic(ep), nil
	default:
		return newOpenAI(ep), nil
	}
}

func resolve(provider, model string, cfg Config) (*endpoint, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	configPath := cfg.ConfigPath
	if configPath == "" {
		configPath = "<home>/config.json"
	}
	ep := &endpoint{provider: provider, model: model, client: cfg.HTTPClient}
	if ep.client == nil {
		ep.client = defaultHTTPClient()
	}
	var keyConfig string
	switch provider {
	case Anthropic, OpenAI:
		prefix, def := "ANTHROPIC", DefaultAnthropicBaseURL
		if provider == OpenAI {
			prefix, def = "OPENAI", DefaultOpenAIBaseURL
		}
		ep.keyVar, keyConfig = prefix+"_API_KEY", "keys."+provider
		ep.key = strings.TrimSpace(getenv(ep.keyVar))
		if ep.key == "" {
			ep.key = strings.TrimSpace(cfg.Keys[provider])
			if ep.key == "" {
				return nil, &noKeyError{envVar: ep.keyVar, configKey: keyConfig, configPath: configPath}
			}
			ep.keyVar = keyConfig
		}
		ep.baseURL = strings.TrimSpace(getenv(prefix + "_BASE_URL"))
		if ep.baseURL == "" {
			ep.baseURL = strings.TrimSpace(cfg.BaseURLs[provider])
		}
		if ep.baseURL == "" {
			ep.baseURL = def
		}
	case OpenAICompatible:
		if b := strings.TrimSpace(getenv("OPENAI_BASE_URL")); b != "" {
			ep.baseURL, ep.key, ep.keyVar = b, strings.TrimSpace(getenv("OPENAI_API_KEY")), "OPENAI_API_KEY"
		} else if b := strings.TrimSpace(cfg.BaseURLs[provider]); b != "" {
			ep.baseURL, ep.key, ep.keyVar = b, strings.TrimSpace(cfg.Keys[provider]), "keys."+provider
		} else {
			return nil, fmt.Errorf("%s needs a base URL: set OPENAI_BASE_URL (or baseURLs.%s in %s)", provider, provider, configPath)
		}
	}
	if strings.IndexFunc(ep.key, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return nil, fmt.Errorf("%s contains a space or control character", ep.keyVar)
	}
	if err := checkBaseURL(ep.baseURL, ep.key != ""); err != nil {
		return nil, fmt.Errorf("%s base URL: %w", provider, err)
	}
	return ep, nil
}

// checkBaseURL refuses endpoints a key must not be sent to, and URLs whose
// parts the SDKs would silently drop or misuse.
func checkBaseURL(raw string, sendsKey bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%q: scheme must be https or http", raw)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", raw)
	case u.User != nil:
		return errors.New("URL must not carry credentials")
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return fmt.Errorf("%q must not have a query or fragment", raw)
	case u.Scheme == "http" && sendsKey && !isLoopback(u.Hostname()):
		return fmt.Errorf("refusing to send an API key over plain http to %s; use https or a loopback address", u.Host)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func defaultHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Local servers may load a model before answering; hosted APIs
		// answer a streaming request's headers within seconds.
		ResponseHeaderTimeout: 5 * time.Minute,
	}}
}

// oneLine flattens a provider's message for an error: no newlines or
// control characters, at most 300 bytes.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		cut := 300
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
