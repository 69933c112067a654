"""A small XSS corpus: the classic ways user text has turned into running script."""

PAYLOADS = {
    "script_tag": '<script>alert("xss")</script>',
    "mixed_case_script": "<ScRiPt>alert(1)</sCrIpT>",
    "nested_script": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "img_onerror": "<img src=x onerror=alert(1)>",
    "svg_onload": "<svg/onload=alert(1)>",
    "markdown_js_link": "[click me](javascript:alert(1))",
    "markdown_js_link_angle": "[click me](<javascript:alert(1)>)",
    "markdown_entity_js_link": "[click me](&#106;avascript&#58;alert(1))",
    "markdown_tab_js_link": "[click me](java\tscript:alert(1))",
    "markdown_data_link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "markdown_vbscript_link": "[x](VBScript:msgbox(1))",
    "markdown_js_image": "![pic](javascript:alert(1))",
    "js_autolink": "<javascript:alert(1)>",
    "entity_encoded_tag": "&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;",
    "unclosed_tag": '<img src="x" onerror="alert(1)"',
    "unclosed_anchor": '<a href="javascript:alert(1)">unclosed',
    "title_attribute_breakout": '[x](https://ok.example/ "t\\" onmouseover=\\"alert(1)")',
    "attribute_breakout": '"\'><script>alert(1)</script><p title="',
    "autolink_quote_breakout": '<https://ok.example/"onmouseover="alert(1)>',
    "css_expression": '<div style="width: expression(alert(1))">x</div>',
    "iframe_srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "mutation_xss": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "html_comment_breakout": "<!--><script>alert(1)</script>-->",
    "template_syntax": "{{ settings.SECRET_KEY }} {% debug %}",
    "newline_injection": "Line one\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\nBcc: victim@example.org",
}

# Values URL fields must refuse: the scheme is what turns a link into script.
HOSTILE_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "ftp://files.example.org/x",
    "//evil.example/x",
]

# A valid web address that still tries to break out of the href attribute it lands in.
BREAKOUT_URL = "https://evil.example/\"><script>alert(1)</script><img/src/onerror=alert(1)>'onmouseover=alert(1)//"
