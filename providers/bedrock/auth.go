package bedrock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signingService is the SigV4 service name of the Bedrock runtime.
const signingService = "bedrock"

// sigV4 signs calls with AWS Signature Version 4, the AWS SDK's signer.
type sigV4 struct {
	creds  aws.Credentials
	region string
	signer *v4.Signer
	now    func() time.Time
}

// sign is a providers.Request.Sign: the payload hash is the hex SHA-256 of
// the body, and every header set so far is signed (the transport adds
// User-Agent and Accept-Encoding later; neither is signed).
func (s *sigV4) sign(r *http.Request, body []byte) error {
	sum := sha256.Sum256(body)
	return s.signer.SignHTTP(context.Background(), s.creds, r, hex.EncodeToString(sum[:]), signingService, s.region, s.now())
}

// auth is how a provider's calls are authenticated, and where they go.
type auth struct {
	signer  *sigV4 // nil: Bedrock API keys as bearer tokens
	baseURL string
}

// resolveAuth fills the provider's region and credentials from the
// environment where its words leave them out, and says what is missing.
func resolveAuth(cfg Config) (auth, error) {
	region := firstSet(cfg.Region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"), regionOfBaseURL(cfg.BaseURL))
	a := auth{baseURL: cfg.BaseURL}
	if a.baseURL == "" {
		if region == "" {
			return a, fmt.Errorf("provider %s: bedrock needs a region: set `region` (or AWS_REGION), or `base_url`", cfg.Name)
		}
		a.baseURL = defaultBaseURL(region)
	}
	if len(cfg.APIKeys) > 0 {
		return a, nil // Bedrock API keys: bearer tokens, no signing
	}
	id, secret, token := cfg.AccessKeyID, cfg.SecretAccessKey, cfg.SessionToken
	if id == "" && secret == "" {
		id, secret = os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
		// A session token belongs to its key pair: take the environment's
		// only with the environment's keys.
		if token == "" {
			token = os.Getenv("AWS_SESSION_TOKEN")
		}
	}
	switch {
	case id == "" && secret == "":
		return a, fmt.Errorf("provider %s: bedrock needs AWS credentials: set `access_key_id` and `secret_access_key` (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or `api_key` with an Amazon Bedrock API key", cfg.Name)
	case id == "":
		return a, fmt.Errorf("provider %s: bedrock has a secret access key but no `access_key_id`", cfg.Name)
	case secret == "":
		return a, fmt.Errorf("provider %s: bedrock has an access key ID but no `secret_access_key`", cfg.Name)
	case region == "":
		return a, fmt.Errorf("provider %s: bedrock needs a region to sign calls: set `region` (or AWS_REGION)", cfg.Name)
	}
	now := cfg.now
	if now == nil {
		now = time.Now
	}
	a.signer = &sigV4{
		creds:  aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "sluice"},
		region: region,
		signer: v4.NewSigner(),
		now:    now,
	}
	return a, nil
}

// defaultBaseURL is the Bedrock runtime endpoint of a region.
func defaultBaseURL(region string) string {
	domain := "amazonaws.com"
	if strings.HasPrefix(region, "cn-") {
		domain = "amazonaws.com.cn"
	}
	return "https://bedrock-runtime." + region + "." + domain
}

// regionOfBaseURL reads the region out of a bedrock-runtime endpoint
// (bedrock-runtime.REGION.amazonaws.com, bedrock-runtime-fips.REGION...),
// or returns "".
func regionOfBaseURL(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	labels := strings.Split(u.Hostname(), ".")
	if len(labels) < 4 || !strings.HasPrefix(labels[0], "bedrock-runtime") || labels[2] != "amazonaws" {
		return ""
	}
	return labels[1]
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
