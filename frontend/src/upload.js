// Upload progress for forms marked data-upload-progress="<id of the progress area>": the form is
// sent by XMLHttpRequest, so the browser can report how much of the file has gone. Progress is
// written as text only (textContent), never as markup. Without this script, or in a browser
// that cannot run it, the form posts as usual and the server answers with the next page.
for (const form of document.querySelectorAll('form[data-upload-progress]')) {
  form.dataset.uploadEnhanced = 'yes'
  form.addEventListener('submit', (event) => {
    const file = form.querySelector('input[type=file]')
    const area = document.getElementById(form.dataset.uploadProgress)
    if (!file || !file.files.length || !area || !window.FormData) return
    event.preventDefault()
    const bar = area.querySelector('progress')
    const text = area.querySelector('[data-progress-text]')
    const button = form.querySelector('button[type=submit], button:not([type])')
    area.hidden = false
    text.textContent = 'Uploading: 0%'
    if (button) button.disabled = true

    const xhr = new XMLHttpRequest()
    xhr.open('POST', form.action)
    xhr.setRequestHeader('X-Upload-Progress', '1')
    xhr.upload.addEventListener('progress', (e) => {
      if (!e.lengthComputable) return
      const pct = Math.floor((e.loaded * 100) / e.total)
      bar.value = pct
      text.textContent = pct < 100 ? 'Uploading: ' + pct + '%' : 'Uploaded. Checking and storing the file…'
    })
    xhr.addEventListener('load', () => {
      const type = xhr.getResponseHeader('Content-Type') || ''
      if (xhr.status === 201 && type.startsWith('application/json')) {
        const next = JSON.parse(xhr.responseText).location
        if (typeof next === 'string' && next.startsWith('/')) {
          window.location.assign(next)
          return
        }
      }
      // The form sent back with what was wrong, or an error page: show what the server wrote.
      document.open()
      document.write(xhr.responseText)
      document.close()
    })
    xhr.addEventListener('error', () => {
      text.textContent = 'The upload did not finish. Check your connection and try again.'
      if (button) button.disabled = false
    })
    xhr.send(new FormData(form))
  })
}
