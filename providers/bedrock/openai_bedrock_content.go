package bedrock

import (
	"encoding/json"
	"fmt"
	"strings"
)

// contentPart is one part of a list-form OpenAI message content.
type contentPart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Refusal  string `json:"refusal"`
	ImageURL *struct {
		URL string `json:"url"`
	} `json:"image_url"`
	File *struct {
		FileData string `json:"file_data"`
		FileID   string `json:"file_id"`
		Filename string `json:"filename"`
	} `json:"file"`
}

// readContent reads a message content: a string (one text part), a list of
// parts, or null (none).
func readContent(field string, raw json.RawMessage) ([]contentPart, *requestError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, refuse(field+".content", "The content is not a valid JSON string.")
		}
		return []contentPart{{Type: "text", Text: s}}, nil
	}
	var parts []contentPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return nil, refuse(field+".content", "The content must be a string or a list of content parts.")
	}
	return parts, nil
}

// textParts reads a content that may hold text only (system, assistant and
// tool messages; an assistant's refusal counts as text). Empty texts are
// left out: Bedrock refuses blank text blocks.
func textParts(field string, raw json.RawMessage) ([]string, *requestError) {
	parts, e := readContent(field, raw)
	if e != nil {
		return nil, e
	}
	texts := make([]string, 0, len(parts))
	for j := range parts {
		p := &parts[j]
		switch p.Type {
		case "text":
			if p.Text != "" {
				texts = append(texts, p.Text)
			}
		case "refusal":
			if p.Refusal != "" {
				texts = append(texts, p.Refusal)
			}
		default:
			return nil, refuse(fmt.Sprintf("%s.content[%d].type", field, j), "Content parts of type %q are not translated for Amazon Bedrock in this message; only text is.", p.Type)
		}
	}
	return texts, nil
}

// userContent translates a user message's content: text, images (data:
// URLs only) and files (data: URLs only).
func userContent(field string, raw json.RawMessage) ([]contentBlock, *requestError) {
	parts, e := readContent(field, raw)
	if e != nil {
		return nil, e
	}
	blocks := make([]contentBlock, 0, len(parts))
	for j := range parts {
		p := &parts[j]
		at := fmt.Sprintf("%s.content[%d]", field, j)
		switch p.Type {
		case "text":
			if p.Text != "" {
				blocks = append(blocks, contentBlock{Text: p.Text})
			}
		case "image_url":
			if p.ImageURL == nil {
				return nil, refuse(at+".image_url", "An image_url part needs an image_url object.")
			}
			img, e := imageFromURL(at+".image_url.url", p.ImageURL.URL)
			if e != nil {
				return nil, e
			}
			blocks = append(blocks, contentBlock{Image: img})
		case "file":
			if p.File == nil {
				return nil, refuse(at+".file", "A file part needs a file object.")
			}
			if p.File.FileData == "" {
				return nil, refuse(at+".file", "Amazon Bedrock cannot fetch uploaded files by file_id; send the file inline as file_data (a data: URL).")
			}
			doc, e := documentFromURL(at+".file.file_data", p.File.FileData, p.File.Filename, j)
			if e != nil {
				return nil, e
			}
			blocks = append(blocks, contentBlock{Document: doc})
		default:
			return nil, refuse(at+".type", "Content parts of type %q are not translated for Amazon Bedrock; text, image_url and file are.", p.Type)
		}
	}
	return blocks, nil
}

// imageFormats maps image media types to Bedrock's image formats.
var imageFormats = map[string]string{
	"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp",
}

// imageFromURL reads an image part's URL. Bedrock takes image bytes only,
// so a URL to fetch is refused rather than fetched by the gateway (which
// would make it a proxy for arbitrary URLs).
func imageFromURL(field, u string) (*imageBlock, *requestError) {
	media, data, ok := parseDataURL(u)
	if !ok {
		return nil, refuse(field, "Amazon Bedrock takes images as bytes only: send the image as a data: URL (data:image/png;base64,...), not a link.")
	}
	format, known := imageFormats[media]
	if !known {
		return nil, refuse(field, "The image type %q is not one Amazon Bedrock takes (png, jpeg, gif, webp).", media)
	}
	return &imageBlock{Format: format, Source: bytesSource{Bytes: data}}, nil
}

// documentFormats maps document media types to Bedrock's document formats.
var documentFormats = map[string]string{
	"application/pdf":    "pdf",
	"text/csv":           "csv",
	"application/msword": "doc",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
	"application/vnd.ms-excel": "xls",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
	"text/html":     "html",
	"text/plain":    "txt",
	"text/markdown": "md",
}

// documentFromURL reads a file part's data: URL into a document block.
func documentFromURL(field, u, filename string, index int) (*documentBlock, *requestError) {
	media, data, ok := parseDataURL(u)
	if !ok {
		return nil, refuse(field, "file_data must be a base64 data: URL (data:application/pdf;base64,...).")
	}
	format, known := documentFormats[media]
	if !known {
		return nil, refuse(field, "The file type %q is not one Amazon Bedrock takes (pdf, csv, doc, docx, xls, xlsx, html, txt, md).", media)
	}
	return &documentBlock{Format: format, Name: documentName(filename, index), Source: bytesSource{Bytes: data}}, nil
}

// documentName makes a file name into a Bedrock document name, which may
// hold only letters, digits, single spaces, hyphens, parentheses and square
// brackets (so the directories and the extension go).
func documentName(filename string, index int) string {
	if slash := strings.LastIndexAny(filename, `/\`); slash >= 0 {
		filename = filename[slash+1:]
	}
	if dot := strings.LastIndexByte(filename, '.'); dot > 0 {
		filename = filename[:dot]
	}
	var b strings.Builder
	space := false
	for _, r := range filename {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '(', r == ')', r == '[', r == ']':
			b.WriteRune(r)
			space = false
		case !space && b.Len() > 0:
			b.WriteByte(' ')
			space = true
		}
		if b.Len() >= 200 {
			break
		}
	}
	name := strings.TrimSpace(b.String())
	if name == "" {
		return fmt.Sprintf("document %d", index+1)
	}
	return name
}

// parseDataURL splits "data:MEDIA;base64,DATA" into its lower-case media
// type and its base64 data.
func parseDataURL(u string) (media, data string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, data, found := strings.Cut(rest, ",")
	if !found {
		return "", "", false
	}
	params := strings.Split(meta, ";")
	if len(params) < 2 || !strings.EqualFold(strings.TrimSpace(params[len(params)-1]), "base64") {
		return "", "", false
	}
	return strings.ToLower(strings.TrimSpace(params[0])), data, true
}
