package templates

import (
	"cmp"
	"fmt"
	"strings"

	"kigen"
)

// The texts of self-service confirmations (issue 20): the double opt-in of
// a sign-up or of a second channel (an email with a link, an SMS with a
// 6-digit code) and a fresh link to the resident's page. One small catalog
// per language with identical keys (TestConfirmCatalogParity), kept apart
// from the reminders' catalogs: these messages carry no notice.
var confirmCatalogs = map[kigen.Language]map[string]string{
	kigen.Japanese: {
		"confirm.subject": "期限：登録の確認",
		"confirm.email":   "{municipality}の期限（在留カード・マイナンバーカードの期限のお知らせ）への登録を確認するため、次のリンクを開いてください（{hours}時間有効）。\n{link}\n\n心当たりがない場合は、このメールを無視してください。何も登録されません。",
		"confirm.sms":     "期限の確認コード：{code}（{minutes}分間有効）。心当たりがなければ無視してください。",
		"link.subject":    "期限：あなたのページへのリンク",
		"link.email":      "期限のあなたのページ（期限の確認・変更、配信停止、データの削除）へのリンクです（{days}日間有効）。\n{link}\n\n心当たりがない場合は、このメールを無視してください。",
		"link.sms":        "期限：あなたのページ {link}",
	},
	kigen.EasyJapan: {
		"confirm.subject": "期限：とうろくの かくにん",
		"confirm.email":   "{municipality}の 期限（カードの きげんの おしらせ）に とうろくします。つぎの リンクを ひらいて ください（{hours}じかん つかえます）。\n{link}\n\nこころあたりが ない ときは、この メールを すてて ください。なにも とうろく されません。",
		"confirm.sms":     "期限の かくにん コード：{code}（{minutes}ふん つかえます）。",
		"link.subject":    "期限：あなたの ページの リンク",
		"link.email":      "期限の あなたの ページの リンクです（{days}にち つかえます）。きげんを かえる、おしらせを とめる、データを けす ことが できます。\n{link}\n\nこころあたりが ない ときは、この メールを すてて ください。",
		"link.sms":        "期限：あなたの ページ {link}",
	},
	kigen.English: {
		"confirm.subject": "Kigen: confirm your sign-up",
		"confirm.email":   "To confirm your sign-up for Kigen reminders from {municipality} (residence card and My Number card expiry dates), open this link within {hours} hours:\n{link}\n\nIf this was not you, ignore this email: nothing is registered.",
		"confirm.sms":     "Kigen code: {code} (valid {minutes} min). If this was not you, ignore it.",
		"link.subject":    "Kigen: your link to your page",
		"link.email":      "Here is the link to your Kigen page (check or change your dates, stop reminders, delete your data). It works for {days} days:\n{link}\n\nIf you did not ask for it, ignore this email.",
		"link.sms":        "Kigen: your page {link}",
	},
	kigen.Chinese: {
		"confirm.subject": "Kigen：确认您的登记",
		"confirm.email":   "请在{hours}小时内打开以下链接，确认登记{municipality}的Kigen提醒（在留卡和个人编号卡的有效期）：\n{link}\n\n如果不是您本人操作，请忽略此邮件，不会登记任何信息。",
		"confirm.sms":     "Kigen验证码：{code}（{minutes}分钟内有效）。如非本人操作请忽略。",
		"link.subject":    "Kigen：您的个人页面链接",
		"link.email":      "这是您的Kigen个人页面链接（查看或更改日期、停止提醒、删除数据），{days}天内有效：\n{link}\n\n如果不是您本人申请，请忽略此邮件。",
		"link.sms":        "Kigen：您的页面 {link}",
	},
	kigen.Korean: {
		"confirm.subject": "Kigen: 등록 확인",
		"confirm.email":   "{municipality}의 Kigen 알림(재류카드·마이넘버카드 유효기간) 등록을 확인하려면 {hours}시간 안에 다음 링크를 여세요:\n{link}\n\n본인이 아니라면 이 메일을 무시하세요. 아무것도 등록되지 않습니다.",
		"confirm.sms":     "Kigen 인증번호: {code} ({minutes}분간 유효). 본인이 아니면 무시하세요.",
		"link.subject":    "Kigen: 내 페이지 링크",
		"link.email":      "Kigen 내 페이지 링크입니다(날짜 확인·변경, 알림 중지, 데이터 삭제). {days}일간 유효합니다:\n{link}\n\n요청하지 않았다면 이 메일을 무시하세요.",
		"link.sms":        "Kigen: 내 페이지 {link}",
	},
	kigen.Spanish: {
		"confirm.subject": "Kigen: confirme su registro",
		"confirm.email":   "Para confirmar su registro en los avisos de Kigen de {municipality} (vencimiento de la tarjeta de residencia y de la tarjeta My Number), abra este enlace en las próximas {hours} horas:\n{link}\n\nSi no fue usted, ignore este correo: no se registra nada.",
		"confirm.sms":     "Código Kigen: {code} (válido {minutes} min). Si no fue usted, ignórelo.",
		"link.subject":    "Kigen: el enlace a su página",
		"link.email":      "Este es el enlace a su página de Kigen (ver o cambiar sus fechas, dejar de recibir avisos, borrar sus datos). Funciona durante {days} días:\n{link}\n\nSi no lo pidió, ignore este correo.",
		"link.sms":        "Kigen: su página {link}",
	},
	kigen.Portuguese: {
		"confirm.subject": "Kigen: confirme seu cadastro",
		"confirm.email":   "Para confirmar seu cadastro nos avisos do Kigen de {municipality} (validade do cartão de residente e do cartão My Number), abra este link em até {hours} horas:\n{link}\n\nSe não foi você, ignore este e-mail: nada é cadastrado.",
		"confirm.sms":     "Código Kigen: {code} (válido {minutes} min). Se não foi você, ignore.",
		"link.subject":    "Kigen: o link para sua página",
		"link.email":      "Este é o link para sua página no Kigen (ver ou mudar suas datas, parar os avisos, apagar seus dados). Vale por {days} dias:\n{link}\n\nSe você não pediu, ignore este e-mail.",
		"link.sms":        "Kigen: sua página {link}",
	},
	kigen.Thai: {
		"confirm.subject": "Kigen: ยืนยันการลงทะเบียน",
		"confirm.email":   "เพื่อยืนยันการลงทะเบียนรับการแจ้งเตือน Kigen ของ{municipality} (วันหมดอายุของบัตรผู้พำนักและบัตร My Number) กรุณาเปิดลิงก์นี้ภายใน {hours} ชั่วโมง:\n{link}\n\nหากไม่ใช่คุณ โปรดเพิกเฉยต่ออีเมลนี้ จะไม่มีการลงทะเบียนใด ๆ",
		"confirm.sms":     "รหัส Kigen: {code} (ใช้ได้ {minutes} นาที) หากไม่ใช่คุณ โปรดเพิกเฉย",
		"link.subject":    "Kigen: ลิงก์ไปยังหน้าของคุณ",
		"link.email":      "นี่คือลิงก์ไปยังหน้า Kigen ของคุณ (ดูหรือเปลี่ยนวันที่ หยุดการแจ้งเตือน ลบข้อมูล) ใช้ได้ {days} วัน:\n{link}\n\nหากคุณไม่ได้ขอ โปรดเพิกเฉยต่ออีเมลนี้",
		"link.sms":        "Kigen: หน้าของคุณ {link}",
	},
	kigen.Nepali: {
		"confirm.subject": "Kigen: दर्ता पुष्टि गर्नुहोस्",
		"confirm.email":   "{municipality} को Kigen सूचना (रेसिडेन्स कार्ड र माई नम्बर कार्डको म्याद) मा दर्ता पुष्टि गर्न {hours} घण्टाभित्र यो लिङ्क खोल्नुहोस्:\n{link}\n\nयो तपाईं होइन भने यो इमेल बेवास्ता गर्नुहोस्: केही दर्ता हुँदैन।",
		"confirm.sms":     "Kigen कोड: {code} ({minutes} मिनेट मान्य)। तपाईं होइन भने बेवास्ता गर्नुहोस्।",
		"link.subject":    "Kigen: तपाईंको पृष्ठको लिङ्क",
		"link.email":      "यो तपाईंको Kigen पृष्ठको लिङ्क हो (मिति हेर्ने वा बदल्ने, सूचना रोक्ने, डाटा मेटाउने)। {days} दिनसम्म चल्छ:\n{link}\n\nतपाईंले माग्नुभएको होइन भने यो इमेल बेवास्ता गर्नुहोस्।",
		"link.sms":        "Kigen: तपाईंको पृष्ठ {link}",
	},
	kigen.Indonesian: {
		"confirm.subject": "Kigen: konfirmasi pendaftaran Anda",
		"confirm.email":   "Untuk mengonfirmasi pendaftaran pengingat Kigen dari {municipality} (masa berlaku kartu penduduk dan kartu My Number), buka tautan ini dalam {hours} jam:\n{link}\n\nJika ini bukan Anda, abaikan email ini: tidak ada yang didaftarkan.",
		"confirm.sms":     "Kode Kigen: {code} (berlaku {minutes} menit). Jika bukan Anda, abaikan.",
		"link.subject":    "Kigen: tautan ke halaman Anda",
		"link.email":      "Ini tautan ke halaman Kigen Anda (lihat atau ubah tanggal, hentikan pengingat, hapus data Anda). Berlaku {days} hari:\n{link}\n\nJika Anda tidak memintanya, abaikan email ini.",
		"link.sms":        "Kigen: halaman Anda {link}",
	},
	kigen.Vietnamese: {
		"confirm.subject": "Kigen: xác nhận đăng ký",
		"confirm.email":   "Để xác nhận đăng ký nhận nhắc nhở Kigen của {municipality} (hạn thẻ cư trú và thẻ My Number), hãy mở liên kết này trong vòng {hours} giờ:\n{link}\n\nNếu không phải bạn, hãy bỏ qua email này: không có gì được đăng ký.",
		"confirm.sms":     "Mã Kigen: {code} (hiệu lực {minutes} phút). Nếu không phải bạn, hãy bỏ qua.",
		"link.subject":    "Kigen: liên kết đến trang của bạn",
		"link.email":      "Đây là liên kết đến trang Kigen của bạn (xem hoặc đổi ngày, dừng nhắc nhở, xóa dữ liệu). Có hiệu lực {days} ngày:\n{link}\n\nNếu bạn không yêu cầu, hãy bỏ qua email này.",
		"link.sms":        "Kigen: trang của bạn {link}",
	},
	kigen.Tagalog: {
		"confirm.subject": "Kigen: kumpirmahin ang iyong pag-sign up",
		"confirm.email":   "Para kumpirmahin ang pag-sign up mo sa mga paalala ng Kigen mula sa {municipality} (expiry ng residence card at My Number card), buksan ang link na ito sa loob ng {hours} oras:\n{link}\n\nKung hindi ikaw ito, huwag pansinin ang email na ito: walang irerehistro.",
		"confirm.sms":     "Kigen code: {code} (valid {minutes} min). Kung hindi ikaw, huwag pansinin.",
		"link.subject":    "Kigen: ang link sa iyong pahina",
		"link.email":      "Ito ang link sa iyong pahina sa Kigen (tingnan o baguhin ang mga petsa, itigil ang mga paalala, burahin ang iyong data). Gumagana ito nang {days} araw:\n{link}\n\nKung hindi mo ito hiniling, huwag pansinin ang email na ito.",
		"link.sms":        "Kigen: iyong pahina {link}",
	},
}

// ConfirmKind is what a self-service message is for.
type ConfirmKind string

// The kinds.
const (
	// ConfirmAddress confirms an address: a sign-up's or a second
	// channel's (a link by email, a code by SMS).
	ConfirmAddress ConfirmKind = "confirm"
	// ConfirmLink carries a fresh link to the resident's page.
	ConfirmLink ConfirmKind = "link"
)

// ConfirmParams are what a self-service message says.
type ConfirmParams struct {
	Kind         ConfirmKind
	Channel      kigen.Channel
	Lang         kigen.Language     // unknown: Japanese
	Municipality kigen.Municipality // named in the resident's script where known
	Link         string             // the confirmation link (email) or the page's link
	Code         string             // the 6-digit code (SMS confirmation)
	Minutes      int                // how long a code works
	Hours        int                // how long a confirmation link works
	Days         int                // how long a page's link works
}

// ConfirmMessage is a rendered self-service message: Subject and Text for
// an email, SMS for an SMS.
type ConfirmMessage struct {
	Subject string
	Text    string
	SMS     string
}

// RenderConfirm renders a self-service message in p.Lang.
func RenderConfirm(p ConfirmParams) (ConfirmMessage, error) {
	cat, ok := confirmCatalogs[p.Lang]
	if !ok {
		cat = confirmCatalogs[kigen.Japanese]
	}
	r := strings.NewReplacer("{municipality}", confirmPlace(p.Lang, &p.Municipality), "{link}", p.Link, "{code}", p.Code,
		"{minutes}", fmt.Sprint(p.Minutes), "{hours}", fmt.Sprint(p.Hours), "{days}", fmt.Sprint(p.Days))
	key := string(p.Kind)
	switch {
	case p.Kind != ConfirmAddress && p.Kind != ConfirmLink:
		return ConfirmMessage{}, fmt.Errorf("templates: %q is not a self-service message", p.Kind)
	case p.Channel == kigen.Email:
		return ConfirmMessage{Subject: r.Replace(cat[key+".subject"]), Text: r.Replace(cat[key+".email"])}, nil
	case p.Channel == kigen.SMS:
		return ConfirmMessage{SMS: r.Replace(cat[key+".sms"])}, nil
	}
	return ConfirmMessage{}, fmt.Errorf("templates: %q is not a channel", p.Channel)
}

// confirmPlace names the municipality for a reader of l: in Japanese for
// those who read kanji, else in their script where it is known, else in
// Latin letters.
func confirmPlace(l kigen.Language, m *kigen.Municipality) string {
	switch l {
	case kigen.Japanese, kigen.EasyJapan, kigen.Chinese:
		return m.Name
	case kigen.Korean:
		return cmp.Or(m.NameHangul, m.LatinDisplay())
	case kigen.Thai:
		return cmp.Or(m.NameThai, m.LatinDisplay())
	case kigen.Nepali:
		return cmp.Or(m.NameDevanagari, m.LatinDisplay())
	}
	return m.LatinDisplay()
}
